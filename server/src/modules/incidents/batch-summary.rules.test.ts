import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  batchPromptData,
  estimateTokens,
  matchReportedAnomalies,
  seedBatchText,
  selectForPrompt,
  summarizeSeries,
  type BatchAnswer,
} from "#server/modules/incidents/batch-summary.rules.ts";

const MIN = 60_000;
const points = (values: number[], from = 0) => values.map((v, i) => ({ t: from + i * MIN, v }));

describe("batch summaries", () => {
  it("compares the window with the hour before, as a value for gauges and a rate for counters", () => {
    const gauge = summarizeSeries("s1", { __name__: "node_load1", instance: "a:1" }, points([...Array(55).fill(1), ...[5, 6, 7, 6, 6]]), 55 * MIN)!;
    assert.equal(gauge.kind, "value");
    assert.equal(gauge.now, 6);
    assert.equal(gauge.baseline, 1);
    assert.equal(gauge.max, 7);
    assert.ok(gauge.z > 50, "a flat baseline's spread is floored at 5% of it");

    // 60/min for 55 min, then 600/min; one counter reset in the window is not a negative rate.
    const counter: number[] = [];
    let c = 0;
    for (let i = 0; i < 60; i++) counter.push((c += i < 55 ? 60 : 600));
    counter[57] = 300;
    const rate = summarizeSeries("s2", { __name__: "http_requests_total", instance: "a:1" }, points(counter), 55 * MIN)!;
    assert.equal(rate.kind, "rate");
    assert.equal(rate.baseline, 1);
    assert.ok(rate.min >= 0);
    assert.equal(summarizeSeries("s3", { __name__: "x" }, points([1, 2]), 10 * MIN), undefined, "nothing in the window");
  });

  it("shows the most unusual series first, grouped by instance, compactly", () => {
    const mk = (ref: string, instance: string, z: number) => ({ ref, metric: "m", labels: { __name__: "m", instance, cpu: "0" }, kind: "value" as const, now: 1.23456, min: 1, max: 2, baseline: 1, baselineSd: 0.1, z });
    const shown = selectForPrompt([mk("s1", "a", 0.1), mk("s2", "b", -9), mk("s3", "a", 4)], 2);
    assert.deepEqual(shown.map((s) => s.ref), ["s2", "s3"]);
    const data = batchPromptData({ from: "f", to: "t" }, shown, 3) as { series_in_batch: number; instances: Record<string, Array<{ ref: string; labels: unknown; now: number }>> };
    assert.equal(data.series_in_batch, 3);
    assert.deepEqual(Object.keys(data.instances).sort(), ["a", "b"]);
    assert.deepEqual(data.instances.a?.[0], { ref: "s3", metric: "m", labels: { cpu: "0" }, kind: "value", now: 1.23, min: 1, max: 2, baseline: 1, z: 4 });
  });

  it("keeps only reported anomalies that name a series of the batch", () => {
    const s1 = { ref: "s1", metric: "node_load1", labels: { __name__: "node_load1", instance: "a:1" }, kind: "value" as const, now: 9, min: 8, max: 10, baseline: 1, baselineSd: 0.2, z: 40 };
    const anomaly = (ref: string, metric: string, instance: string) => ({ ref, metric, instance, observed: "9", expected: "1", symptom: "load high" });
    const answer: BatchAnswer = {
      incident: null,
      anomalies: [anomaly("s1", "node_load1", "a:1"), anomaly("s1", "node_load1", "a:1"), anomaly("s9", "node_load1", "a:1"), anomaly("s1", "node_load5", "a:1"), anomaly("s1", "node_load1", "b:1")],
    };
    const { matched, invented } = matchReportedAnomalies(answer, [s1]);
    assert.deepEqual(matched.map((m) => m.summary.ref), ["s1"]);
    assert.equal(invented, 3);
  });

  it("measures the raw batch seed 000 would send", () => {
    const text = seedBatchText([{ labels: { __name__: "m", instance: "a" }, points: points([1, 2, 3, 4]) }], 2 * MIN);
    assert.equal(text, `{"__name__":"m","instance":"a"}: ${new Date(2 * MIN).toISOString()} 3, ${new Date(3 * MIN).toISOString()} 4`);
    assert.equal(estimateTokens("abcdefgh"), 2);
  });
});
