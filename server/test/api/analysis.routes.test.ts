import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AnalysisResult } from "@auspex/shared/contracts/incidents.ts";
import { remoteWrite } from "#test/support/remote-write.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/* Seed 001's on-demand analysis, with no LLM configured: complete, templated, with a decision. */

const MIN = 60_000;
const T_END = Date.parse("2026-07-01T12:00:00Z");

describe("POST /api/v1/analysis", () => {
  const clock = manualClock(new Date(T_END));
  let t: TestApp;
  let busy: { token: string; id: string; key: string };
  let quiet: { token: string; key: string };
  let empty: string;

  const analyse = (token: string, payload: unknown) => t.auspex.app.inject({ method: "POST", url: "/api/v1/analysis", headers: t.bearer(token), payload: payload as Record<string, unknown> });
  const ok = async (token: string, payload: unknown): Promise<AnalysisResult> => {
    const response = await analyse(token, payload);
    assert.equal(response.statusCode, 200, response.body);
    return response.json<AnalysisResult>();
  };
  const writeLoad = async (key: string, instance: string, value: (i: number) => number) => {
    const samples = Array.from({ length: 40 }, (_, i) => ({ t: T_END - 40 * MIN + i * MIN, v: value(i) }));
    await remoteWrite(t.auspex.app, key, [{ labels: { __name__: "node_load1", instance, job: "node" }, samples }]);
  };

  before(async () => {
    t = await startTestApp({}, { clock });
    const b = await t.register("analysis_busy");
    busy = { token: b.access_token, id: b.user.id, key: await t.apiKey(b.access_token, ["ingest"]) };
    const q = await t.register("analysis_quiet");
    quiet = { token: q.access_token, key: await t.apiKey(q.access_token, ["ingest"]) };
    empty = (await t.register("analysis_empty")).access_token;
    await writeLoad(busy.key, "web-1:9100", (i) => (i >= 30 ? 9 : 1));
    await writeLoad(quiet.key, "web-1:9100", () => 1);
    // What detection recorded for the busy user's spike.
    for (let m = 0; m < 8; m++) {
      await t.auspex.anomalies.observeAnomaly(busy.id, {
        labels: { __name__: "node_load1", instance: "web-1:9100", job: "node" },
        t: T_END - 10 * MIN + m * MIN,
        score: 4.5,
        value: 9,
        expected: 1,
        lower: 0,
        upper: 2,
        direction: "up",
        votes: { baseline: 4.5 },
      });
    }
    await t.auspex.incidents.idle();
  });
  after(() => t.close());

  it("reports critical findings, the open incident, ranked causes and an ESCALATE decision", async () => {
    const result = await ok(busy.token, { lookback_minutes: 30, focus_areas: ["cpu"] });
    assert.equal(result.severity, "CRITICAL");
    assert.match(result.analysis, /^Critical: 1 anomaly and 1 open incident in the last 30 minutes \(focus: cpu\)/);
    assert.ok(result.key_findings.some((f) => f.startsWith("node_load1 on web-1:9100")), JSON.stringify(result.key_findings));
    assert.ok(result.recommendations.length > 0);
    assert.equal(result.open_incidents.length, 1);
    assert.ok(result.rca && result.rca.causes.length > 0);
    assert.deepEqual(result.decision.action, "ESCALATE");
    assert.deepEqual(result.source, { kind: "deterministic", provider: null, model: null });
    assert.deepEqual(result.window, { from: new Date(T_END - 30 * MIN).toISOString(), to: new Date(T_END).toISOString() });
    assert.ok(result.confidence > 0 && result.confidence <= 1);
  });

  it("leaves out what is outside the focus", async () => {
    const result = await ok(busy.token, { lookback_minutes: 30, focus_areas: ["memory"] });
    assert.equal(result.severity, "NORMAL");
    assert.deepEqual(result.open_incidents, []);
    assert.equal(result.rca, null);
  });

  it("says healthy for steady data and asks to reprocess when no data arrived", async () => {
    const healthy = await ok(quiet.token, {});
    assert.equal(healthy.severity, "NORMAL");
    assert.match(healthy.analysis, /^All 1 series behaved as expected over the last 30 minutes/);
    assert.deepEqual([healthy.decision.action, healthy.decision.rule], ["CONTINUE", "healthy"]);
    const none = await ok(empty, { lookback_minutes: 60 });
    assert.deepEqual([none.decision.action, none.decision.rule], ["REPROCESS", "no_data"]);
    assert.match(none.analysis, /No samples arrived in the last 60 minutes/);
  });

  it("rejects a lookback out of range and malformed focus areas, naming the field", async () => {
    assertError(await analyse(busy.token, { lookback_minutes: 2 }), 400, "validation_error", "body.lookback_minutes");
    assertError(await analyse(busy.token, { lookback_minutes: 5000 }), 400, "validation_error", "body.lookback_minutes");
    assertError(await analyse(busy.token, { lookback_minutes: 7.5 }), 400, "validation_error", "body.lookback_minutes");
    assertError(await analyse(busy.token, { focus_areas: "cpu" }), 400, "validation_error", "body.focus_areas");
    assertError(await analyse(busy.token, { lookback: 30 }), 400, "validation_error");
  });
});
