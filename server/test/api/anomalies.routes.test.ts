import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { AnomalyObservation } from "#server/modules/anomalies/index.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/* Anomaly records: the engine's verbs (open, extend, close) and the API over them. */

const T0 = Date.parse("2026-03-01T00:00:00Z");
const MIN = 60_000;

const observation = (overrides: Partial<AnomalyObservation> = {}): AnomalyObservation => ({
  labels: { __name__: "node_memory_MemAvailable_bytes", instance: "web-1:9100", job: "node" },
  t: T0,
  score: 1.5,
  value: 800e6,
  expected: 4e9,
  lower: 3.5e9,
  upper: 4.5e9,
  direction: "down",
  votes: { baseline: 1.4, seasonal: 1.6 },
  ...overrides,
});

describe("anomaly routes", () => {
  const clock = manualClock(new Date(T0));
  let t: TestApp;
  let token: string;
  let userId: string;
  const list = async (query = "", as = token) => {
    const response = await t.auspex.app.inject({ method: "GET", url: `/api/v1/anomalies${query}`, headers: t.bearer(as) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ anomalies: Anomaly[] }>().anomalies;
  };

  before(async () => {
    t = await startTestApp({}, { clock });
    const owner = await t.register("anomaly_owner");
    token = owner.access_token;
    userId = owner.user.id;
    const engine = t.auspex.anomalies;
    // web-1 memory: opens at T0, peaks at T0+2m, closes at T0+10m.
    await engine.observeAnomaly(userId, observation());
    await engine.observeAnomaly(userId, observation({ t: T0 + 2 * MIN, score: 3, value: 500e6 }));
    await engine.observeAnomaly(userId, observation({ t: T0 + 3 * MIN, score: 2 }));
    await engine.closeAnomaly(userId, observation().labels, T0 + 10 * MIN);
    // db-1 load: open since T0+1h.
    await engine.observeAnomaly(userId, observation({ labels: { __name__: "node_load1", instance: "db-1:9100", job: "db" }, t: T0 + 60 * MIN, score: 1.2, value: 9, expected: 1, lower: 0, upper: 2, direction: "up" }));
  });
  after(() => t.close());

  it("keeps one record per episode with its peak, observed vs expected, and closes it", async () => {
    const [db, web] = await list();
    assert.equal(db?.metric, "node_load1");
    assert.equal(db?.status, "open");
    assert.equal(db?.ended_at, null);
    assert.ok(web);
    assert.ok(web.incident_id, "a score of 3 opens an incident at once");
    assert.equal(db?.incident_id, null, "a weak, young anomaly is not an incident yet");
    assert.deepEqual(
      { ...web, id: "", incident_id: "", created_at: "", updated_at: "" },
      {
        id: "",
        metric: "node_memory_MemAvailable_bytes",
        labels: { __name__: "node_memory_MemAvailable_bytes", instance: "web-1:9100", job: "node" },
        status: "closed",
        started_at: new Date(T0).toISOString(),
        ended_at: new Date(T0 + 10 * MIN).toISOString(),
        peak_score: 3,
        peak_at: new Date(T0 + 2 * MIN).toISOString(),
        observed: 500e6,
        expected: 4e9,
        lower: 3.5e9,
        upper: 4.5e9,
        direction: "down",
        summary: "observed 500MB, expected 4GB (band 3.5GB–4.5GB)",
        votes: { baseline: 1.4, seasonal: 1.6 },
        contributors: [],
        incident_id: "",
        feedback: null,
        created_at: "",
        updated_at: "",
      },
    );
    const one = await t.auspex.app.inject({ method: "GET", url: `/api/v1/anomalies/${web.id}`, headers: t.bearer(token) });
    assert.deepEqual(one.json(), web);
    // A new episode after the close is a new record.
    await t.auspex.anomalies.observeAnomaly(userId, observation({ t: T0 + 20 * MIN, score: 1.1 }));
    assert.equal((await list("?target=web-1:9100")).length, 2);
    await t.auspex.anomalies.closeAnomaly(userId, observation().labels, T0 + 21 * MIN);
  });

  it("filters by time, target, minimum score, status and limit", async () => {
    const names = (anomalies: Anomaly[]) => anomalies.map((a) => `${a.labels.instance}@${a.started_at.slice(11, 16)}`);
    assert.deepEqual(names(await list("?status=open")), ["db-1:9100@01:00"]);
    assert.deepEqual(names(await list("?status=closed")), ["web-1:9100@00:20", "web-1:9100@00:00"]);
    assert.deepEqual(names(await list("?min_score=2.5")), ["web-1:9100@00:00"]);
    assert.deepEqual(names(await list("?target=db")), ["db-1:9100@01:00"], "the job matches too");
    assert.deepEqual(names(await list(`?to=${encodeURIComponent(new Date(T0 + 5 * MIN).toISOString())}`)), ["web-1:9100@00:00"]);
    assert.deepEqual(names(await list(`?from=${(T0 + 30 * MIN) / 1000}`)), ["db-1:9100@01:00"], "Unix seconds work; closed before from are left out");
    assert.equal((await list("?limit=1")).length, 1);
  });

  it("rejects malformed filters with a 400 naming the field", async () => {
    const bad = async (query: string, field: string) =>
      assertError(await t.auspex.app.inject({ method: "GET", url: `/api/v1/anomalies${query}`, headers: t.bearer(token) }), 400, "validation_error", field);
    await bad("?min_score=high", "querystring.min_score");
    await bad("?min_score=-1", "querystring.min_score");
    await bad("?status=resolved", "querystring.status");
    await bad("?from=yesterday", "querystring.from");
    await bad("?from=2000&to=1000", "querystring.to");
    await bad("?limit=0", "querystring.limit");
    await bad("?colour=red", "querystring.colour");
  });

  it("records feedback and 404s for unknown or another user's anomalies", async () => {
    const [db] = await list("?status=open");
    assert.ok(db);
    const post = (id: string, payload: unknown, as = token) =>
      t.auspex.app.inject({ method: "POST", url: `/api/v1/anomalies/${id}/feedback`, headers: t.bearer(as), payload: payload as Record<string, unknown> });
    clock.advance(30);
    const judged = await post(db.id, { verdict: "noise", note: "nightly backup" });
    assert.equal(judged.statusCode, 200, judged.body);
    assert.deepEqual(judged.json<Anomaly>().feedback, { verdict: "noise", note: "nightly backup", at: clock.now().toISOString() });
    assert.deepEqual((await list("?status=open"))[0]?.feedback?.verdict, "noise");

    assertError(await post(db.id, { verdict: "maybe" }), 400, "validation_error", "body.verdict");
    assertError(await post("no-such-anomaly", { verdict: "confirmed" }), 404, "not_found");
    const other = (await t.register("anomaly_other")).access_token;
    assertError(await post(db.id, { verdict: "confirmed" }, other), 404, "not_found");
    assert.deepEqual(await list("", other), [], "another user sees none of them");
  });
});
