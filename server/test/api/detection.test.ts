import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import { seededRandom } from "#test/support/random.ts";
import type { EncodableSeries } from "#test/support/remote-write-encoder.ts";
import { remoteWrite as sendRemoteWrite } from "#test/support/remote-write.ts";
import { syntheticHost } from "#test/support/synthetic-host.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";

/*
 * Streaming detection end to end: samples written by remote_write are scored as they are stored,
 * the scores and bands come back as series, a spike opens and closes an anomaly record, and
 * feedback changes what that series alerts on.
 */

const STEP = 15_000;
const T0 = Date.parse("2026-04-01T00:00:00Z");

describe("streaming detection", () => {
  const clock = manualClock(new Date(T0 + 86_400_000));
  let t: TestApp;
  let token: string;
  let key: string;

  /** One remote_write request. */
  const remoteWrite = (series: EncodableSeries[]): Promise<void> => sendRemoteWrite(t.auspex.app, key, series);
  /** remote_write of `values` at 15 s from `from` for one series, then waits for detection. */
  const write = async (labels: Record<string, string>, from: number, values: number[]): Promise<void> => {
    await remoteWrite([{ labels, samples: values.map((v, i) => ({ t: from + i * STEP, v })) }]);
    await t.auspex.detection?.idle();
  };
  const anomaliesOf = async (instance: string): Promise<Anomaly[]> => {
    const response = await t.auspex.app.inject({ method: "GET", url: `/api/v1/anomalies?target=${instance}`, headers: t.bearer(token) });
    return response.json<{ anomalies: Anomaly[] }>().anomalies;
  };
  /** Noisy steady values around 100, then `spike` for 3 samples, then steady again. */
  const episode = (rand: () => number, normal: number, spike: number): number[] => [
    ...Array.from({ length: normal }, () => 100 + (rand() - 0.5) * 2),
    spike,
    spike,
    spike,
    ...Array.from({ length: 20 }, () => 100 + (rand() - 0.5) * 2),
  ];

  before(async () => {
    t = await startTestApp({ AUSPEX_DETECTION: "true" }, { clock });
    token = (await t.register("detect_owner")).access_token;
    key = await t.apiKey(token, ["ingest", "read", "admin"]);
  });
  after(() => t.close());

  it("writes scores and bands back as series and records a spike as one anomaly, opened and closed", async () => {
    const labels = { __name__: "app_queue_depth", instance: "spike-1", job: "app" };
    const values = episode(seededRandom(1), 300, 400);
    await write(labels, T0, values);

    const query = async (promql: string, at: number) => {
      const response = await t.auspex.app.inject({ method: "GET", url: `/prometheus/api/v1/query?query=${encodeURIComponent(promql)}&time=${at / 1000}`, headers: t.bearer(token) });
      return response.json<{ data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }>().data.result;
    };
    const spikeAt = T0 + 300 * STEP;
    const score = await query('auspex_anomaly_score{source_metric="app_queue_depth",instance="spike-1"}', spikeAt);
    assert.equal(score.length, 1);
    assert.deepEqual(score[0]?.metric, { __name__: "auspex_anomaly_score", source_metric: "app_queue_depth", instance: "spike-1", job: "app" });
    assert.ok(Number(score[0]?.value[1]) > 1, `score at the spike ${score[0]?.value[1]}`);
    const before = await query('auspex_anomaly_score{instance="spike-1"}', spikeAt - 10 * STEP);
    assert.ok(Number(before[0]?.value[1]) <= 1, "no alarm in the steady part");
    const band = await query('auspex_band_upper{instance="spike-1"}', spikeAt - STEP);
    assert.ok(Number(band[0]?.value[1]) > 100 && Number(band[0]?.value[1]) < 150, `upper band ${band[0]?.value[1]}`);

    const [anomaly, ...more] = await anomaliesOf("spike-1");
    assert.equal(more.length, 0, "one record for one spike");
    assert.equal(anomaly?.status, "closed");
    assert.equal(anomaly?.direction, "up");
    assert.equal(anomaly?.observed, 400);
    assert.ok((anomaly?.expected ?? 0) > 95 && (anomaly?.expected ?? 0) < 105);
    assert.match(anomaly?.summary ?? "", /^observed 400, expected 10\d/);
    assert.ok(Date.parse(anomaly?.started_at ?? "") >= spikeAt && Date.parse(anomaly?.started_at ?? "") <= spikeAt + 2 * STEP);

    const exposition = (await t.auspex.app.inject({ method: "GET", url: "/metrics" })).body;
    assert.match(exposition, new RegExp(`^auspex_detection_samples_total ${values.length}$`, "m"));
    assert.match(exposition, /^auspex_detection_lag_seconds_count 1$/m);
  });

  it("stops alerting on a pattern judged noise, and keeps alerting on one confirmed", async () => {
    for (const [instance, verdict] of [
      ["judged-noise", "noise"],
      ["judged-real", "confirmed"],
    ] as const) {
      const labels = { __name__: "app_latency", instance, job: "app" };
      const rand = seededRandom(instance.length);
      const first = episode(rand, 300, 130);
      await write(labels, T0, first);
      const [anomaly] = await anomaliesOf(instance);
      assert.ok(anomaly, `${instance}: the first spike opens an anomaly`);
      const judged = await t.auspex.app.inject({ method: "POST", url: `/api/v1/anomalies/${anomaly.id}/feedback`, headers: t.bearer(token), payload: { verdict } });
      assert.equal(judged.statusCode, 200, judged.body);
      await write(labels, T0 + first.length * STEP, episode(rand, 240, 130));
      const after = await anomaliesOf(instance);
      if (verdict === "noise") assert.equal(after.length, 1, "the same spike after 'noise' opens nothing");
      else assert.equal(after.length, 2, "the same spike after 'confirmed' opens a new anomaly");
    }
  });

  it("scores a counter as its per-second rate and records observed against expected in that space", async () => {
    const rand = seededRandom(11);
    let total = 0;
    // About 10 errors/s, then 1,000/s for three scrapes, then back.
    const rates = [...Array.from({ length: 300 }, () => 10 + rand()), 1000, 1000, 1000, ...Array.from({ length: 20 }, () => 10 + rand())];
    const values = rates.map((r) => (total += r * (STEP / 1000)));
    await write({ __name__: "app_errors_total", instance: "counter-1", job: "app" }, T0, values);
    const [anomaly] = await anomaliesOf("counter-1");
    assert.ok(anomaly);
    assert.equal(anomaly.observed, 1000);
    assert.ok(anomaly.expected > 9 && anomaly.expected < 12, `expected ${anomaly.expected}`);
    assert.match(anomaly.summary, /^observed 1000\/s, expected 1\d\.?\d*\/s/);
  });

  it("keeps per-user settings: defaults, validation naming the field, and rules that change what alerts", async () => {
    const get = async (as = token) => (await t.auspex.app.inject({ method: "GET", url: "/api/v1/detection/settings", headers: t.bearer(as) })).json<{ sensitivity: unknown; rules: unknown[]; updated_at: string | null }>();
    const put = (payload: unknown, as = token) => t.auspex.app.inject({ method: "PUT", url: "/api/v1/detection/settings", headers: t.bearer(as), payload: payload as Record<string, unknown> });
    assert.deepEqual(await get(), { mode: "statistical", sensitivity: "medium", rules: [], updated_at: null });

    for (const [payload, field] of [
      [{ sensitivity: 50 }, "body.sensitivity"],
      [{ mode: "psychic" }, "body.mode"],
      [{ rules: [{ metric: "node_(load" }] }, "body.rules.0.metric"],
      [{ rules: [{ metric: "x", direction: "sideways" }] }, "body.rules.0.direction"],
      [{ rules: [{ metric: "x", min_history: 0 }] }, "body.rules.0.min_history"],
    ] as const) {
      const response = await put(payload);
      assert.equal(response.statusCode, 400, response.body);
      assert.ok(response.json<{ error: { details: Array<{ field: string }> } }>().error.details.some((d) => d.field === field), `${field}: ${response.body}`);
    }
    const readOnly = await t.apiKey(token, ["read"]);
    assert.equal((await put({ sensitivity: "high" }, readOnly)).statusCode, 403);

    const saved = await put({ sensitivity: "medium", rules: [{ metric: "app_drops_only", direction: "down" }] });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.equal((await get()).rules.length, 1);
    const other = (await t.register("detect_other")).access_token;
    assert.deepEqual((await get(other)).rules, [], "settings are per user");

    const rand = seededRandom(7);
    await write({ __name__: "app_drops_only", instance: "rule-up", job: "app" }, T0, episode(rand, 300, 400));
    assert.deepEqual(await anomaliesOf("rule-up"), [], "an upward spike on a down-only series opens nothing");
    await write({ __name__: "app_drops_only", instance: "rule-down", job: "app" }, T0, episode(rand, 300, -200));
    assert.equal((await anomaliesOf("rule-down")).length, 1, "a dip still does");

    // In llm mode the detectors keep scoring, but anomaly records come from the LLM's batches only.
    assert.equal((await put({ mode: "llm", sensitivity: "medium", rules: [] })).statusCode, 200);
    await write({ __name__: "app_queue_depth", instance: "llm-mode", job: "app" }, T0, episode(seededRandom(8), 300, 400));
    assert.deepEqual(await anomaliesOf("llm-mode"), []);
    const scores = await t.auspex.app.inject({
      method: "GET",
      url: `/prometheus/api/v1/query?query=${encodeURIComponent('max_over_time(auspex_anomaly_score{instance="llm-mode"}[2h])')}&time=${(T0 + 320 * STEP) / 1000}`,
      headers: t.bearer(token),
    });
    assert.ok(Number(scores.json<{ data: { result: Array<{ value: [number, string] }> } }>().data.result[0]?.value[1]) > 1, scores.body);
    assert.equal((await put({ mode: "statistical", sensitivity: "medium", rules: [] })).statusCode, 200);
  });

  it("flags a host whose indicators move together in a way never seen, naming them", async () => {
    const next = syntheticHost(seededRandom(5), "swapper:9100");
    const scrapeAt = (time: number, swapping: boolean) => remoteWrite(next(swapping).map((s) => ({ labels: s.labels, samples: [{ t: time, v: s.value }] })));
    let at = T0;
    for (let i = 0; i < 500; i++) await scrapeAt((at += STEP), false);
    for (let i = 0; i < 3; i++) await scrapeAt((at += STEP), true);
    await t.auspex.detection?.idle();
    const host = (await anomaliesOf("swapper:9100")).filter((a) => a.metric === "host");
    assert.equal(host.length, 1, JSON.stringify((await anomaliesOf("swapper:9100")).map((a) => a.metric)));
    assert.match(host[0]?.summary ?? "", /^unusual combination of indicators on swapper:9100: /);
    assert.ok((host[0]?.contributors.length ?? 0) > 0);
    const names = host[0]?.contributors.map((c) => c.indicator) ?? [];
    assert.ok(names.some((n) => ["cpu_iowait", "major_faults_per_second", "swap_used_ratio", "memory_available_ratio", "disk_busy_ratio"].includes(n)), names.join(", "));
  });
});
