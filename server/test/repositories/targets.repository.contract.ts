/*
 * The behaviour every dialect must give the targets repository. Run by
 * targets.repository.sqlite.test.ts (unit suite) and
 * server/e2e/targets.repository.postgres.e2e.test.ts (real PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTargetsRepository, type TargetRow } from "#server/modules/targets/targets.repository.ts";
import { newId } from "#server/platform/ids.ts";
import type { Database } from "#server/storage/database.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

const NOW = "2026-03-01T12:00:00.000Z";
let sequence = 0;
/** node:sqlite returns rows with a null prototype; compare their fields. */
const plain = (row: TargetRow | undefined): TargetRow | undefined => (row === undefined ? undefined : { ...row });

export function describeTargetsRepositoryContract(dialect: string, open: () => Promise<Database>): void {
  describe(`targets repository (${dialect})`, () => {
    let database: Database;
    const users: string[] = [];
    const targetRow = (userId: string, overrides: Partial<TargetRow> = {}): TargetRow => ({
      id: newId(),
      user_id: userId,
      name: `target-${++sequence}`,
      job: "node",
      address: "127.0.0.1:9100",
      scheme: "http",
      metrics_path: "/metrics",
      interval_ms: 15_000,
      timeout_ms: 10_000,
      labels: JSON.stringify({ env: "prod" }),
      enabled: 1,
      health: "unknown",
      last_scrape_at: null,
      last_scrape_duration_ms: null,
      last_error: null,
      samples_last_scrape: null,
      created_at: NOW,
      updated_at: NOW,
      ...overrides,
    });

    before(async () => {
      database = await open();
      users.push(...(await insertTestUsers(database.db, "targets", 2)));
    });
    after(() => database.close());

    it("stores and reads every column back unchanged, scoped to the owner", async () => {
      const repo = createTargetsRepository(database.db);
      const [alice, bob] = users as [string, string];
      const row = targetRow(alice, { timeout_ms: 2_500, interval_ms: 5_000 });
      await repo.insert(row);
      assert.deepEqual(plain(await repo.findForUser(alice, row.id)), row);
      assert.equal(await repo.findForUser(bob, row.id), undefined, "another user's target is not found");
      assert.deepEqual(plain(await repo.findByName(alice, row.name)), row);
      assert.equal(await repo.findByName(bob, row.name), undefined);
      assert.ok((await repo.listForUser(alice)).some((t) => t.id === row.id));
      assert.ok(!(await repo.listForUser(bob)).some((t) => t.id === row.id));
    });

    it("refuses a second target with the same name for one user, not for another", async () => {
      const repo = createTargetsRepository(database.db);
      const [alice, bob] = users as [string, string];
      const first = targetRow(alice);
      await repo.insert(first);
      await assert.rejects(repo.insert(targetRow(alice, { name: first.name })));
      await repo.insert(targetRow(bob, { name: first.name }));
    });

    it("updates, records scrapes and deletes only the owner's row", async () => {
      const repo = createTargetsRepository(database.db);
      const [alice, bob] = users as [string, string];
      const row = targetRow(alice);
      await repo.insert(row);
      assert.equal(await repo.update(bob, row.id, { enabled: 0 }), false);
      assert.equal(await repo.update(alice, row.id, { enabled: 0, labels: "{}", updated_at: "2026-03-01T12:05:00.000Z" }), true);
      assert.ok(!(await repo.listEnabled()).some((t) => t.id === row.id), "disabled targets are not scheduled");
      await repo.update(alice, row.id, { enabled: 1 });
      assert.ok((await repo.listEnabled()).some((t) => t.id === row.id));

      const outcome = { health: "down" as const, last_scrape_at: "2026-03-01T12:06:00.000Z", last_scrape_duration_ms: 12.5, last_error: "connection refused", samples_last_scrape: 0 };
      await repo.recordScrape(bob, row.id, outcome);
      assert.equal((await repo.findForUser(alice, row.id))?.health, "unknown", "another user cannot record a scrape");
      await repo.recordScrape(alice, row.id, outcome);
      assert.deepEqual(plain(await repo.findForUser(alice, row.id)), { ...row, ...outcome, enabled: 1, labels: "{}", updated_at: "2026-03-01T12:05:00.000Z" });

      assert.equal(await repo.delete(bob, row.id), false);
      assert.equal(await repo.delete(alice, row.id), true);
      assert.equal(await repo.findForUser(alice, row.id), undefined);
    });
  });
}
