/*
 * The behaviour every dialect must give the notification repositories (channels, outbox,
 * attempts). Run by notifications.repository.sqlite.test.ts (unit suite) and
 * server/e2e/notifications.repository.postgres.e2e.test.ts (real PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createChannelsRepository, type ChannelRow } from "#server/modules/notifications/channels.repository.ts";
import { enqueueNotifications } from "#server/modules/notifications/outbox.ts";
import { createOutboxRepository } from "#server/modules/notifications/outbox.repository.ts";
import { newId } from "#server/platform/ids.ts";
import type { Database } from "#server/storage/database.ts";
import { goldenNotification } from "#test/modules/notifications/goldens.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

const NOW = "2026-03-01T12:00:00.000Z";
const LATER = "2026-03-01T12:05:00.000Z";
const plain = <T extends object>(row: T | undefined): T | undefined => (row === undefined ? undefined : { ...row });

export function describeNotificationsRepositoryContract(dialect: string, open: () => Promise<Database>): void {
  describe(`notifications repositories (${dialect})`, () => {
    let database: Database;
    const users: string[] = [];
    const channelRow = (userId: string, overrides: Partial<ChannelRow> = {}): ChannelRow => ({
      id: newId(),
      user_id: userId,
      name: `channel-${newId()}`,
      type: "webhook",
      enabled: 1,
      send_resolved: 1,
      config: JSON.stringify({ url: "http://127.0.0.1:9/hook" }),
      secrets: "v1:sealed",
      created_at: NOW,
      updated_at: NOW,
      ...overrides,
    });

    before(async () => {
      database = await open();
      users.push(...(await insertTestUsers(database.db, "notify", 2)));
    });
    after(() => database.close());

    it("replaces a user's channels in one go, scoped to the owner, names may swap", async () => {
      const repo = createChannelsRepository(database.db);
      const [alice, bob] = users as [string, string];
      const a = channelRow(alice, { name: "a" });
      const b = channelRow(alice, { name: "b", secrets: null });
      await repo.replaceForUser(alice, [a, b]);
      await repo.replaceForUser(bob, [channelRow(bob, { name: "a" })]);
      assert.deepEqual(plain(await repo.findForUser(alice, a.id)), a);
      assert.equal(await repo.findForUser(bob, a.id), undefined, "another user's channel is not found");
      await repo.replaceForUser(alice, [{ ...a, name: "b" }, { ...b, name: "a" }]);
      assert.deepEqual((await repo.listForUser(alice)).map((c) => [c.name, c.id]), [["a", b.id], ["b", a.id]]);
      assert.equal((await repo.listForUser(bob)).length, 1, "bob's channels are untouched");
      await assert.rejects(repo.replaceForUser(alice, [channelRow(alice, { name: "x" }), channelRow(alice, { name: "x" })]));
      assert.equal((await repo.listForUser(alice)).length, 2, "a failed replacement changes nothing");
      assert.equal(await repo.timeZoneOf(alice), "UTC");
    });

    it("enqueues inside a transaction, ignores a repeated idempotency key, and rolls back with it", async () => {
      const outbox = createOutboxRepository(database.db);
      const [alice] = users as [string];
      const item = { userId: alice, channelId: "ch-1", notification: goldenNotification("firing"), idempotencyKey: "k-1", event: "trigger" as const };
      await database.db.transaction().execute((trx) => enqueueNotifications(trx, [item, item], new Date(NOW)));
      await enqueueNotifications(database.db, [item], new Date(NOW));
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await enqueueNotifications(trx, [{ ...item, idempotencyKey: "k-rolled-back" }], new Date(NOW));
          throw new Error("the state change failed");
        }),
      );
      const rows = await outbox.listForUser(alice, { limit: 10 });
      assert.deepEqual(rows.map((r) => [r.idempotency_key, r.status, r.attempts, r.group_key]), [["k-1", "pending", 0, '{}:{alertname="HighLatency"}']]);
      assert.deepEqual(JSON.parse(rows[0]!.notification), item.notification);
    });

    it("claims a due row once, leases it, records the outcome with its attempt, and hands expired leases over", async () => {
      const outbox = createOutboxRepository(database.db);
      const [, bob] = users as [string, string];
      await enqueueNotifications(database.db, [{ userId: bob, channelId: "ch-2", notification: goldenNotification("firing"), idempotencyKey: "k-2", event: "trigger" }], new Date(NOW));
      const [row] = (await outbox.listDue(NOW, 100)).filter((r) => r.user_id === bob);
      assert.ok(row);
      assert.equal(await outbox.claim(users[0]!, row.id, NOW, LATER, "t0", LATER), false, "another user's row cannot be claimed");
      assert.equal(await outbox.claim(bob, row.id, NOW, LATER, "t1", "2026-03-02T12:00:00.000Z"), true);
      assert.equal(await outbox.claim(bob, row.id, NOW, LATER, "t2", LATER), false, "a leased row is not claimed twice");
      assert.ok(!(await outbox.listDue(NOW, 100)).some((r) => r.id === row.id), "a leased row is not due");
      assert.equal(await outbox.nextDueAt(NOW), LATER, "the lease's end is the next due time");
      assert.equal(await outbox.nextDueAt(LATER), undefined);
      // The lease expires: another worker takes over and the first one's late result is discarded.
      assert.ok((await outbox.listDue(LATER, 100)).some((r) => r.id === row.id));
      assert.equal(await outbox.claim(bob, row.id, LATER, "2026-03-01T12:10:00.000Z", "t3", LATER), true);
      const attempt = (n: number, id = newId()) => ({ id, user_id: bob, outbox_id: row.id, channel_id: "ch-2", attempt: n, at: LATER, outcome: "success", status_code: 200, detail: null, duration_ms: 5 });
      const result = { status: "delivered" as const, next_attempt_at: row.next_attempt_at, last_error: null, last_status_code: 200, delivered_at: LATER, updated_at: LATER };
      assert.equal(await outbox.complete(bob, row.id, "t1", result, attempt(1)), false);
      assert.equal(await outbox.complete(bob, row.id, "t3", result, attempt(2)), true);
      const stored = await outbox.findForUser(bob, row.id);
      assert.deepEqual([stored?.status, stored?.attempts, stored?.lease_until, stored?.claim_token, stored?.delivered_at, stored?.give_up_at], ["delivered", 2, null, null, LATER, "2026-03-02T12:00:00.000Z"]);
      assert.deepEqual((await outbox.attemptsFor(bob, row.id)).map((a) => [a.attempt, a.outcome, a.status_code]), [[2, "success", 200]]);
      assert.deepEqual(await outbox.attemptsFor(users[0]!, row.id), []);
    });

    it("keeps the order of one alert group per channel", async () => {
      const outbox = createOutboxRepository(database.db);
      const [alice] = users as [string];
      const base = { userId: alice, channelId: "ch-3", notification: goldenNotification("firing") };
      await enqueueNotifications(database.db, [{ ...base, idempotencyKey: "g-1", event: "trigger" }], new Date(NOW));
      await enqueueNotifications(database.db, [{ ...base, idempotencyKey: "g-2", event: "resolve" }], new Date(NOW));
      const rows = (await outbox.listDue(NOW, 100)).filter((r) => r.channel_id === "ch-3");
      assert.deepEqual(rows.map((r) => r.idempotency_key), ["g-1", "g-2"]);
      assert.equal(await outbox.hasEarlierOpen(rows[0]!), false);
      assert.equal(await outbox.hasEarlierOpen(rows[1]!), true);
      assert.equal(await outbox.hasEarlierOpen({ ...rows[1]!, channel_id: "other" }), false);
    });
  });
}
