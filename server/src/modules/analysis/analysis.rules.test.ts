import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import { describeWindow, healthOf, inFocus } from "#server/modules/analysis/analysis.rules.ts";

const anomaly = (metric: string, peak = 1.5, instance = "web-1:9100"): Anomaly =>
  ({ id: metric, metric, labels: { __name__: metric, instance, job: "node" }, peak_score: peak, summary: `${metric} off`, contributors: [] }) as unknown as Anomaly;

describe("on-demand analysis rules", () => {
  it("matches focus areas by meaning, or literally on metric, instance and job", () => {
    assert.equal(inFocus(anomaly("node_memory_MemAvailable_bytes"), ["memory"]), true);
    assert.equal(inFocus(anomaly("node_memory_MemAvailable_bytes"), ["cpu", "disk"]), false);
    assert.equal(inFocus(anomaly("http_request_duration_seconds_sum"), ["response_times"]), true);
    assert.equal(inFocus(anomaly("node_load1", 1.5, "db-7:9100"), ["db-7"]), true);
    assert.equal(inFocus(anomaly("anything"), []), true);
    const host = { ...anomaly("host"), contributors: [{ indicator: "swap_used_ratio", weight: 0.6 }] };
    assert.equal(inFocus(host, ["memory"]), true, "a host anomaly is in focus by its contributors");
  });

  it("grades health from open incidents and anomaly strength", () => {
    assert.equal(healthOf([], []), "NORMAL");
    assert.equal(healthOf([anomaly("a", 1.5)], []), "WARNING");
    assert.equal(healthOf([anomaly("a", 4.2)], []), "CRITICAL");
    assert.equal(healthOf([], [{ severity: "high" }]), "CRITICAL");
    assert.equal(healthOf([], [{ severity: "low" }]), "WARNING");
  });

  it("writes a complete analysis without an LLM: healthy, deviating, or no data", () => {
    const base = { lookbackMinutes: 30, focus: [], incidents: [], rca: null, seriesCount: 120 };
    const healthy = describeWindow({ ...base, health: "NORMAL", anomalies: [] });
    assert.match(healthy.analysis, /All 120 series behaved as expected over the last 30 minutes/);
    assert.deepEqual(healthy.recommendations, ["No action needed"]);
    const warn = describeWindow({ ...base, health: "WARNING", anomalies: [anomaly("node_load1", 1.5), anomaly("node_memory_MemAvailable_bytes", 3)] });
    assert.match(warn.analysis, /^Warning: 2 anomalies and 0 open incidents/);
    assert.match(warn.key_findings[0]!, /^node_memory_MemAvailable_bytes on web-1:9100/, "strongest first");
    const empty = describeWindow({ ...base, health: "NORMAL", anomalies: [], seriesCount: 0 });
    assert.match(empty.analysis, /No samples arrived/);
    assert.ok(empty.confidence < healthy.confidence);
  });
});
