/*
 * The behaviour every dialect must give the incidents repository. Run by
 * incidents.repository.sqlite.test.ts (unit suite) and
 * server/e2e/incidents.repository.postgres.e2e.test.ts (real PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createIncidentsRepository, type AnalysisBatchRow, type IncidentRow } from "#server/modules/incidents/incidents.repository.ts";
import { newId } from "#server/platform/ids.ts";
import type { Database } from "#server/storage/database.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

const at = (minutes: number): string => new Date(Date.parse("2026-03-01T00:00:00.000Z") + minutes * 60_000).toISOString();
const plain = <T>(row: T | undefined): T | undefined => (row === undefined ? undefined : { ...row });

export function describeIncidentsRepositoryContract(dialect: string, open: () => Promise<Database>): void {
  describe(`incidents repository (${dialect})`, () => {
    let database: Database;
    const users: string[] = [];
    const incident = (userId: string, overrides: Partial<IncidentRow> = {}): IncidentRow => ({
      id: newId(),
      user_id: userId,
      title: "node_load1 anomalous on web-1:9100",
      severity: "medium",
      status: "open",
      started_at: at(0),
      last_activity_at: at(5),
      resolved_at: null,
      targets: JSON.stringify(["web-1:9100"]),
      anomaly_count: 2,
      open_anomaly_count: 1,
      rca: null,
      rca_status: "pending",
      rca_error: null,
      rca_updated_at: null,
      decision: JSON.stringify({ action: "CONTINUE", rule: "analysis_pending", reason: "…" }),
      acknowledged_at: null,
      acknowledged_note: null,
      feedback_rca_correct: null,
      feedback_actual_cause: null,
      feedback_note: null,
      feedback_at: null,
      created_at: at(0),
      updated_at: at(0),
      ...overrides,
    });
    const batch = (userId: string, overrides: Partial<AnalysisBatchRow> = {}): AnalysisBatchRow => ({
      id: newId(),
      user_id: userId,
      mode: "statistical",
      window_start: at(0),
      window_end: at(5),
      series_count: 40,
      sample_count: 800,
      anomaly_count: 1,
      incident_id: null,
      status: "analysed",
      detail: null,
      llm_provider: null,
      llm_model: null,
      tokens: 0,
      created_at: at(5),
      ...overrides,
    });

    before(async () => {
      database = await open();
      users.push(...(await insertTestUsers(database.db, "incidents", 2)));
    });
    after(() => database.close());

    it("stores every column, updates, and stays with its owner", async () => {
      const repo = createIncidentsRepository(database.db);
      const [alice, bob] = users as [string, string];
      const first = incident(alice);
      await repo.insert(first);
      assert.deepEqual(plain(await repo.findForUser(alice, first.id)), first);
      assert.equal(await repo.findForUser(bob, first.id), undefined);
      assert.equal(await repo.update(bob, first.id, { status: "resolved" }), false);
      const changes = { status: "acknowledged", acknowledged_at: at(6), acknowledged_note: "on it", feedback_rca_correct: 0, feedback_actual_cause: "disk_full", feedback_at: at(7) };
      assert.equal(await repo.update(alice, first.id, changes), true);
      assert.deepEqual(plain(await repo.findForUser(alice, first.id)), { ...first, ...changes });
      assert.deepEqual((await repo.listActive(alice)).map((r) => r.id), [first.id]);
      assert.deepEqual(await repo.listActive(bob), []);
    });

    it("filters by status, severity, time and target; lists analysed ones; counts", async () => {
      const repo = createIncidentsRepository(database.db);
      const [, bob] = users as [string, string];
      const old = incident(bob, { started_at: at(0), status: "resolved", resolved_at: at(30), severity: "high", targets: JSON.stringify(["db-1:9100", "web_1:9100"]) });
      const rca = JSON.stringify({ root_cause: "disk" });
      const recent = incident(bob, { started_at: at(60), rca, rca_status: "ready", rca_updated_at: at(65) });
      await repo.insert(old);
      await repo.insert(recent);
      const ids = async (q: Parameters<typeof repo.list>[1]) => (await repo.list(bob, q)).map((r) => r.id);
      assert.deepEqual(await ids({ limit: 10 }), [recent.id, old.id]);
      assert.deepEqual(await ids({ limit: 10, status: "resolved" }), [old.id]);
      assert.deepEqual(await ids({ limit: 10, severity: "high" }), [old.id]);
      assert.deepEqual(await ids({ limit: 10, from: Date.parse(at(40)) }), [recent.id]);
      assert.deepEqual(await ids({ limit: 10, to: Date.parse(at(30)) }), [old.id]);
      assert.deepEqual(await ids({ limit: 10, target: "db-1:9100" }), [old.id]);
      assert.deepEqual(await ids({ limit: 10, target: "web-1:9100" }), [recent.id]);
      assert.deepEqual(await ids({ limit: 10, target: "web_1:9100" }), [old.id], "LIKE wildcards in the target are literal");
      assert.deepEqual(await ids({ limit: 10, target: "web" }), [], "whole targets only");
      assert.deepEqual(await ids({ limit: 1 }), [recent.id]);
      assert.deepEqual((await repo.listAnalysed(bob, { limit: 10 })).map((r) => r.id), [recent.id]);
      assert.deepEqual(await repo.listAnalysed(bob, { limit: 10, to: Date.parse(at(64)) }), []);
      assert.deepEqual(await repo.count(bob), { total: 2, open: 1, analysed: 1 });
    });

    it("keeps the timeline in order and batches per user", async () => {
      const repo = createIncidentsRepository(database.db);
      const [alice, bob] = users as [string, string];
      const owned = incident(alice);
      await repo.insert(owned);
      for (const [i, kind] of ["opened", "decision", "anomaly_joined"].entries()) {
        await repo.insertEvent({ id: newId(), user_id: alice, incident_id: owned.id, at: at(i === 2 ? 1 : 0), kind, message: kind, data: "{}" });
      }
      assert.deepEqual((await repo.listEvents(alice, owned.id)).map((e) => e.kind), ["opened", "decision", "anomaly_joined"]);
      assert.deepEqual(await repo.listEvents(bob, owned.id), []);

      const first = batch(alice, { window_start: at(0), window_end: at(5) });
      const second = batch(alice, { window_start: at(5), window_end: at(10), llm_provider: "openai", llm_model: "gpt-4o-mini", tokens: 900 });
      await repo.insertBatch(first);
      await repo.insertBatch(second);
      assert.deepEqual((await repo.listBatches(alice, { limit: 10 })).map(plain), [second, first]);
      assert.deepEqual((await repo.listBatches(alice, { limit: 10, from: Date.parse(at(7)) })).map((b) => b.id), [second.id]);
      assert.deepEqual((await repo.listBatches(alice, { limit: 10, to: Date.parse(at(4)) })).map((b) => b.id), [first.id]);
      assert.equal(await repo.lastBatchEnd(alice), Date.parse(at(10)));
      assert.equal(await repo.lastBatchEnd(bob), undefined);
      assert.equal(await repo.countBatches(alice), 2);
      assert.equal(await repo.countBatches(bob), 0);
    });
  });
}
