/*
 * The behaviour every dialect must give the anomalies repository. Run by
 * anomalies.repository.sqlite.test.ts (unit suite) and
 * server/e2e/anomalies.repository.postgres.e2e.test.ts (real PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAnomaliesRepository, type AnomalyRow } from "#server/modules/anomalies/anomalies.repository.ts";
import { newId } from "#server/platform/ids.ts";
import type { Database } from "#server/storage/database.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

const at = (minutes: number): string => new Date(Date.parse("2026-03-01T00:00:00.000Z") + minutes * 60_000).toISOString();
const plain = (row: AnomalyRow | undefined): AnomalyRow | undefined => (row === undefined ? undefined : { ...row });

export function describeAnomaliesRepositoryContract(dialect: string, open: () => Promise<Database>): void {
  describe(`anomalies repository (${dialect})`, () => {
    let database: Database;
    const users: string[] = [];
    const row = (userId: string, overrides: Partial<AnomalyRow> = {}): AnomalyRow => ({
      id: newId(),
      user_id: userId,
      series_key: "k1",
      metric: "node_load1",
      labels: JSON.stringify({ __name__: "node_load1", instance: "h:9100" }),
      instance: "h:9100",
      job: "node",
      status: "open",
      started_at: at(0),
      ended_at: null,
      peak_score: 2.25,
      peak_at: at(1),
      observed: 9.5,
      expected: 1.25,
      lower: -0.5,
      upper: 3,
      direction: "up",
      summary: "observed 9.5, expected 1.25 (band -0.5–3)",
      votes: JSON.stringify({ baseline: 2 }),
      contributors: "[]",
      incident_id: null,
      feedback_verdict: null,
      feedback_note: null,
      feedback_at: null,
      created_at: at(0),
      updated_at: at(0),
      ...overrides,
    });

    before(async () => {
      database = await open();
      users.push(...(await insertTestUsers(database.db, "anomalies", 2)));
    });
    after(() => database.close());

    it("stores every column, finds the open one per series, and stays with its owner", async () => {
      const repo = createAnomaliesRepository(database.db);
      const [alice, bob] = users as [string, string];
      const first = row(alice);
      await repo.insert(first);
      assert.deepEqual(plain(await repo.findForUser(alice, first.id)), first);
      assert.equal(await repo.findForUser(bob, first.id), undefined);
      assert.deepEqual(plain(await repo.findOpen(alice, "k1")), first);
      assert.equal(await repo.findOpen(bob, "k1"), undefined);
      assert.equal(await repo.update(bob, first.id, { status: "closed" }), false);
      assert.equal(await repo.update(alice, first.id, { status: "closed", ended_at: at(5), feedback_verdict: "noise", feedback_note: null, feedback_at: at(6) }), true);
      assert.equal(await repo.findOpen(alice, "k1"), undefined);
      assert.deepEqual(plain(await repo.findForUser(alice, first.id)), { ...first, status: "closed", ended_at: at(5), feedback_verdict: "noise", feedback_at: at(6) });
    });

    it("filters by time, target, score and status, newest first", async () => {
      const repo = createAnomaliesRepository(database.db);
      const [, bob] = users as [string, string];
      await repo.insert(row(bob, { series_key: "a", started_at: at(0), ended_at: at(10), status: "closed", peak_score: 1.5 }));
      await repo.insert(row(bob, { series_key: "b", started_at: at(60), instance: "db:9100", job: "db", peak_score: 4 }));
      const starts = async (q: Parameters<typeof repo.list>[1]) => (await repo.list(bob, q)).map((r) => r.started_at);
      assert.deepEqual(await starts({ limit: 10 }), [at(60), at(0)]);
      assert.deepEqual(await starts({ limit: 10, status: "closed" }), [at(0)]);
      assert.deepEqual(await starts({ limit: 10, minScore: 2 }), [at(60)]);
      assert.deepEqual(await starts({ limit: 10, target: "db" }), [at(60)]);
      assert.deepEqual(await starts({ limit: 10, target: "h:9100" }), [at(0)]);
      assert.deepEqual(await starts({ limit: 10, from: Date.parse(at(20)) }), [at(60)]);
      assert.deepEqual(await starts({ limit: 10, to: Date.parse(at(30)) }), [at(0)]);
      assert.deepEqual(await starts({ limit: 1 }), [at(60)]);
    });

    it("groups into incidents, lists the ungrouped open ones and counts, per user", async () => {
      const repo = createAnomaliesRepository(database.db);
      const [alice, bob] = users as [string, string];
      const before = await repo.count(alice);
      const a = row(alice, { series_key: "g1", started_at: at(100) });
      const b = row(alice, { series_key: "g2", started_at: at(101) });
      const c = row(alice, { series_key: "g3", started_at: at(102), status: "closed", ended_at: at(103) });
      for (const r of [a, b, c]) await repo.insert(r);
      const ungrouped = async (userId: string) => (await repo.listUngroupedOpen(userId)).map((r) => r.series_key).filter((k) => k.startsWith("g"));
      assert.deepEqual(await ungrouped(alice), ["g1", "g2"]);
      await repo.assignIncident(bob, [a.id], "incident-x");
      assert.deepEqual(await repo.listByIncident(bob, "incident-x"), [], "another user's anomalies are not assigned");
      await repo.assignIncident(alice, [a.id, c.id], "incident-1");
      await repo.assignIncident(alice, [], "incident-1");
      assert.deepEqual((await repo.listByIncident(alice, "incident-1")).map((r) => r.id), [a.id, c.id]);
      assert.deepEqual(await ungrouped(alice), ["g2"]);
      assert.deepEqual(await repo.count(alice), { total: before.total + 3, open: before.open + 2 });
    });
  });
}
