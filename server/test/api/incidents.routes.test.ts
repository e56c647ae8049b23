import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Incident, IncidentDetail, Stats } from "@auspex/shared/contracts/incidents.ts";
import type { AnomalyObservation } from "#server/modules/anomalies/index.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/*
 * Incidents through the anomaly stream the detection engine drives (the same verbs), in sample
 * time: grouping by host, dependency and fleet; a lone blip stays an anomaly; the quiet period
 * resolves; people acknowledge, resolve and judge; another user's incident is a 404.
 */

const T0 = Date.parse("2026-03-01T00:00:00Z");
const MIN = 60_000;

const obs = (labels: Record<string, string>, t: number, score = 1.6, overrides: Partial<AnomalyObservation> = {}): AnomalyObservation => ({
  labels,
  t,
  score,
  value: 10,
  expected: 1,
  lower: 0,
  upper: 2,
  direction: "up",
  votes: { baseline: score },
  ...overrides,
});

describe("incidents", () => {
  const clock = manualClock(new Date(T0 + 24 * 60 * MIN));
  let t: TestApp;
  let token: string;
  let userId: string;
  let otherToken: string;

  const get = async <T>(url: string, as = token): Promise<T> => {
    const response = await t.auspex.app.inject({ method: "GET", url, headers: t.bearer(as) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<T>();
  };
  const post = (url: string, payload: unknown, as = token) => t.auspex.app.inject({ method: "POST", url, headers: t.bearer(as), payload: payload as Record<string, unknown> });
  const incidents = async (query = "", as = token) => (await get<{ incidents: Incident[] }>(`/api/v1/incidents${query}`, as)).incidents;
  const detail = (id: string) => get<IncidentDetail>(`/api/v1/incidents/${id}`);
  interface Episode {
    labels: Record<string, string>;
    from: number;
    minutes: number;
    score?: number;
    close?: boolean;
  }
  /**
   * Feeds anomalous samples minute by minute, interleaved across the episodes as the engine would
   * (open, extend…), closing each after its `minutes` unless `close` is false.
   */
  const feed = async (...episodes: Episode[]): Promise<void> => {
    const engine = t.auspex.anomalies;
    const start = Math.min(...episodes.map((e) => e.from));
    const end = Math.max(...episodes.map((e) => e.from + e.minutes * MIN));
    for (let at = start; at <= end; at += MIN) {
      for (const e of episodes) {
        const m = (at - e.from) / MIN;
        if (m >= 0 && m < e.minutes) await engine.observeAnomaly(userId, obs(e.labels, at, (e.score ?? 1.6) + m * 0.01));
        else if (m === e.minutes && e.close !== false) await engine.closeAnomaly(userId, e.labels, at);
      }
    }
  };

  const web1 = (name: string) => ({ __name__: name, instance: "web-1:9100", job: "node" });

  before(async () => {
    t = await startTestApp({}, { clock });
    const owner = await t.register("incident_owner");
    token = owner.access_token;
    userId = owner.user.id;
    otherToken = (await t.register("incident_other")).access_token;
  });
  after(() => t.close());

  it("groups related anomalies on one host into one incident and leaves a short lone blip alone", async () => {
    await feed(
      // A lone 2-minute weak blip on another host: no incident.
      { labels: { __name__: "node_load1", instance: "cache-1:9100", job: "node" }, from: T0, minutes: 2 },
      // Memory, then swap, then major faults on web-1, overlapping.
      { labels: web1("node_memory_MemAvailable_bytes"), from: T0 + 10 * MIN, minutes: 30, score: 2.1, close: false },
      { labels: web1("node_memory_SwapFree_bytes"), from: T0 + 13 * MIN, minutes: 20, score: 1.5, close: false },
      { labels: web1("node_vmstat_pgmajfault"), from: T0 + 16 * MIN, minutes: 10, score: 2.5, close: false },
    );
    await t.auspex.incidents.idle();

    const list = await incidents();
    assert.equal(list.length, 1, JSON.stringify(list.map((i) => i.title)));
    const [incident] = list as [Incident];
    assert.deepEqual(incident.targets, ["web-1:9100"]);
    assert.equal(incident.anomaly_count, 3);
    assert.equal(incident.open_anomaly_count, 3);
    assert.equal(incident.status, "open");
    assert.equal(incident.started_at, new Date(T0 + 10 * MIN).toISOString());
    assert.equal(incident.severity, "medium", "three anomalies, peak 2.6");

    const full = await detail(incident.id);
    assert.deepEqual(full.anomalies.map((a) => a.metric), ["node_memory_MemAvailable_bytes", "node_memory_SwapFree_bytes", "node_vmstat_pgmajfault"]);
    assert.ok(full.anomalies.every((a) => a.incident_id === incident.id));
    const kinds = full.timeline.map((e) => e.kind);
    assert.equal(kinds[0], "opened");
    assert.equal(kinds.filter((k) => k === "anomaly_joined").length, 1, kinds.join());
    assert.match(full.timeline[0]!.message, /related anomalies overlap/);
    assert.ok(["CONTINUE", "ESCALATE", "RETRY", "REPROCESS"].includes(full.decision.action));
    assert.ok(full.decision.rule.length > 0);
  });

  it("resolves in sample time once every anomaly has been closed for the quiet period", async () => {
    const [incident] = (await incidents()) as [Incident];
    const engine = t.auspex.anomalies;
    await engine.closeAnomaly(userId, web1("node_memory_MemAvailable_bytes"), T0 + 40 * MIN);
    await engine.closeAnomaly(userId, web1("node_memory_SwapFree_bytes"), T0 + 41 * MIN);
    await engine.closeAnomaly(userId, web1("node_vmstat_pgmajfault"), T0 + 42 * MIN);
    await t.auspex.incidents.advanceWatermark(userId, T0 + 56 * MIN);
    assert.equal((await detail(incident.id)).status, "open", "14 minutes of quiet is not 15");
    await t.auspex.incidents.advanceWatermark(userId, T0 + 57 * MIN);
    const resolved = await detail(incident.id);
    assert.equal(resolved.status, "resolved");
    assert.equal(resolved.resolved_at, new Date(T0 + 42 * MIN).toISOString(), "resolved when the last anomaly closed");
    assert.equal(resolved.open_anomaly_count, 0);
    assert.equal(resolved.decision.action, "CONTINUE");
    assert.ok(resolved.timeline.some((e) => e.kind === "resolved" && /quiet for 15 min/.test(e.message)));
  });

  it("groups a dependency's anomalies with its clients' and one metric across a job's hosts", async () => {
    const base = T0 + 120 * MIN;
    await feed(
      { labels: { __name__: "db_query_duration_seconds", instance: "api-1:8080", job: "api", dependency: "db-1:5432" }, from: base, minutes: 8, score: 2, close: false },
      { labels: { __name__: "node_disk_io_time_seconds_total", instance: "db-1:9100", job: "node" }, from: base + 2 * MIN, minutes: 8, score: 2, close: false },
      // Fleet: the same metric deviating on three hosts of one job.
      ...["edge-1", "edge-2", "edge-3"].map((host) => ({
        labels: { __name__: "node_network_receive_errs_total", instance: `${host}:9100`, job: "edge" },
        from: base + 3 * MIN,
        minutes: 3,
        score: 1.5,
        close: false,
      })),
    );
    await t.auspex.incidents.idle();
    const open = await incidents("?status=open");
    const byTargets = open.map((i) => i.targets.join(",")).sort();
    assert.deepEqual(byTargets, ["api-1:8080,db-1:9100", "edge-1:9100,edge-2:9100,edge-3:9100"]);
    const fleet = open.find((i) => i.targets.length === 3)!;
    assert.equal(fleet.severity, "critical", "three targets at once");
    assert.equal(fleet.decision.action, "HALT");
    assert.equal((await incidents("?target=edge-2:9100")).length, 1);
    assert.equal((await incidents("?severity=critical")).length, 1);
  });

  it("acknowledges with a note, resolves by hand, takes RCA feedback, and keeps all of it in the timeline", async () => {
    const fleet = (await incidents("?severity=critical"))[0]!;
    const ack = await post(`/api/v1/incidents/${fleet.id}/ack`, { note: "on it" });
    assert.equal(ack.statusCode, 200, ack.body);
    const acked = ack.json<IncidentDetail>();
    assert.equal(acked.status, "acknowledged");
    assert.equal(acked.acknowledged_note, "on it");
    assert.notEqual(acked.decision.action, "ESCALATE");
    assert.equal((await incidents("?status=acknowledged")).length, 1);

    const feedback = await post(`/api/v1/incidents/${fleet.id}/feedback`, { rca_correct: false, actual_cause: "network_errors", note: "bad switch" });
    assert.equal(feedback.statusCode, 200, feedback.body);
    assert.deepEqual({ ...feedback.json<IncidentDetail>().feedback, at: "" }, { rca_correct: false, actual_cause: "network_errors", note: "bad switch", at: "" });

    const resolve = await post(`/api/v1/incidents/${fleet.id}/resolve`, { note: "switch replaced" });
    assert.equal(resolve.statusCode, 200, resolve.body);
    const resolved = resolve.json<IncidentDetail>();
    assert.equal(resolved.status, "resolved");
    assert.deepEqual(
      resolved.timeline.filter((e) => ["acknowledged", "feedback", "resolved"].includes(e.kind)).map((e) => e.message),
      ["Acknowledged: on it", "RCA judged wrong; actual cause: network_errors (bad switch)", "Resolved by hand: switch replaced"],
    );
    assertError(await post(`/api/v1/incidents/${fleet.id}/resolve`, {}), 409, "conflict");
    assertError(await post(`/api/v1/incidents/${fleet.id}/ack`, {}), 409, "conflict");

    // A new anomaly on a resolved incident's host opens a new incident.
    await feed({ labels: { __name__: "node_load1", instance: "edge-1:9100", job: "edge" }, from: T0 + 140 * MIN, minutes: 6, score: 3.5, close: false });
    const reopened = await incidents("?target=edge-1:9100&status=open");
    assert.equal(reopened.length, 1);
    assert.notEqual(reopened[0]!.id, fleet.id);
  });

  it("answers stats, rca and batches for the user only", async () => {
    const stats = await get<Stats>("/api/v1/stats");
    assert.equal(stats.incidents, 4);
    assert.equal(stats.open_incidents, 2);
    assert.equal(stats.anomalies, 10);
    assert.equal(stats.targets, 0);
    assert.equal(stats.batches, 0);
    const other = await get<Stats>("/api/v1/stats", otherToken);
    assert.deepEqual(other, { batches: 0, incidents: 0, open_incidents: 0, anomalies: 0, open_anomalies: 0, rca: 0, targets: 0 });
    assert.deepEqual(await incidents("", otherToken), []);
    assert.deepEqual((await get<{ batches: unknown[] }>("/api/v1/batches")).batches, []);
    assert.ok(Array.isArray((await get<{ rca: unknown[] }>("/api/v1/rca")).rca));
  });

  it("rejects bad filters and bodies naming the field, and hides other users' incidents", async () => {
    const [mine] = await incidents();
    const bad = async (url: string, field: string) => {
      const response = await t.auspex.app.inject({ method: "GET", url, headers: t.bearer(token) });
      const body = assertError(response, 400, "validation_error");
      assert.ok(JSON.stringify(body.error.details).includes(field), `${url}: ${response.body}`);
    };
    await bad("/api/v1/incidents?status=sleeping", "status");
    await bad("/api/v1/incidents?severity=urgent", "severity");
    await bad("/api/v1/incidents?from=yesterday", "from");
    await bad("/api/v1/incidents?from=2000&to=1000", "to");
    await bad("/api/v1/incidents?limit=0", "limit");
    await bad("/api/v1/incidents?colour=red", "colour");
    await bad("/api/v1/rca?limit=abc", "limit");
    await bad("/api/v1/batches?to=noon", "to");
    const feedback = assertError(await post(`/api/v1/incidents/${mine!.id}/feedback`, { rca_correct: "yes" }), 400, "validation_error");
    assert.ok(JSON.stringify(feedback.error.details).includes("rca_correct"));

    assertError(await t.auspex.app.inject({ method: "GET", url: `/api/v1/incidents/${mine!.id}`, headers: t.bearer(otherToken) }), 404, "not_found");
    assertError(await post(`/api/v1/incidents/${mine!.id}/ack`, {}, otherToken), 404, "not_found");
    assertError(await post(`/api/v1/incidents/${mine!.id}/feedback`, { rca_correct: true }, otherToken), 404, "not_found");
    assertError(await post(`/api/v1/incidents/${mine!.id}/reanalyze`, undefined, otherToken), 404, "not_found");
    assertError(await t.auspex.app.inject({ method: "GET", url: "/api/v1/incidents/nope", headers: t.bearer(token) }), 404, "not_found");
  });
});
