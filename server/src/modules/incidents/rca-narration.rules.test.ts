import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { Rca } from "@auspex/shared/contracts/rca.ts";
import { mergeNarration, narrationData, narrationProblem, narrationSchemaFor, type RcaNarration } from "#server/modules/incidents/rca-narration.rules.ts";

const rca: Rca = {
  title: "Memory exhaustion on web-1:9100",
  severity: "high",
  summary: "Available memory fell, then swap filled.",
  root_cause: "memory exhaustion on web-1:9100",
  fix_plan: { immediate: ["Find the process growing"], prevention: ["Alert on MemAvailable below 10%"] },
  confidence: 0.8,
  causes: [
    { kind: "memory_exhaustion", title: "Memory exhaustion", score: 0.7, explanation: "first to deviate", evidence_ids: ["e1", "e2"], targets: ["web-1:9100"] },
    { kind: "io_saturation", title: "I/O saturation", score: 0.2, explanation: "iowait rose later", evidence_ids: ["e3"], targets: ["web-1:9100"] },
  ],
  evidence: [
    { id: "e1", kind: "onset", claim: "MemAvailable fell first", metric: "node_memory_MemAvailable_bytes", labels: { instance: "web-1:9100" }, promql: 'node_memory_MemAvailable_bytes{instance="web-1:9100"}', observed: 3e8, expected: 4e9, unit: "bytes", at: "2026-03-01T00:10:00.000Z", anomaly_id: "a1" },
    { id: "e2", kind: "pattern", claim: "swap filled", metric: "node_memory_SwapFree_bytes", labels: { instance: "web-1:9100" }, promql: null, observed: 1e8, expected: 4e9, unit: "bytes", at: null, anomaly_id: null },
    { id: "e3", kind: "series", claim: "iowait share rose", metric: "node_cpu_seconds_total", labels: { instance: "web-1:9100", mode: "iowait" }, promql: 'rate(node_cpu_seconds_total{mode="iowait"}[5m])', observed: 0.4, expected: 0.02, unit: "ratio", at: null, anomaly_id: null },
  ],
  source: { kind: "deterministic", provider: null, model: null },
  generated_at: "2026-03-01T00:30:00.000Z",
};
const anomalies = [{ id: "a1", metric: "node_vmstat_pgmajfault", labels: { instance: "web-1:9100" }, started_at: "2026-03-01T00:12:00.000Z", summary: "x", peak_score: 2 }] as unknown as Anomaly[];
const narration: RcaNarration = {
  title: "web-1 ran out of memory and started swapping",
  summary: "node_memory_MemAvailable_bytes fell to 300MB, swap filled, then disk waits rose.",
  root_cause: "A process on web-1 is leaking memory.",
  fix_plan: { immediate: ["Restart the leaking service"], prevention: ["Add memory limits"] },
  cause_order: ["memory_exhaustion", "io_saturation"],
  citations: ["e1", "e2"],
};

describe("RCA narration", () => {
  it("merges prose and fix plan, keeps numbers, evidence and confidence, and says who wrote it", () => {
    const merged = mergeNarration(rca, narration, { provider: "fallback", model: "m" }, "2026-03-01T00:31:00.000Z");
    assert.equal(merged.title, narration.title);
    assert.deepEqual(merged.fix_plan, narration.fix_plan);
    assert.equal(merged.confidence, 0.8);
    assert.deepEqual(merged.evidence, rca.evidence);
    assert.deepEqual(merged.source, { kind: "llm", provider: "fallback", model: "m" });
    assert.deepEqual(merged.causes.map((c) => c.kind), ["memory_exhaustion", "io_saturation"]);
  });

  it("lets the model reorder causes only by citing the new top cause's evidence", () => {
    const reordered = { ...narration, cause_order: ["io_saturation"] };
    assert.equal(narrationProblem(rca, reordered, anomalies), "puts io_saturation first without citing its evidence");
    const cited = { ...reordered, citations: ["e3"] };
    assert.equal(narrationProblem(rca, cited, anomalies), undefined);
    assert.deepEqual(mergeNarration(rca, cited, { provider: "p", model: "m" }, "t").causes.map((c) => c.kind), ["io_saturation", "memory_exhaustion"]);
  });

  it("refuses invented evidence, causes and series", () => {
    assert.match(narrationProblem(rca, { ...narration, citations: ["e1", "e9"] }, anomalies) ?? "", /evidence that does not exist: e9/);
    assert.match(narrationProblem(rca, { ...narration, cause_order: ["disk_full"] }, anomalies) ?? "", /not offered: disk_full/);
    assert.match(narrationProblem(rca, { ...narration, summary: "node_filesystem_avail_bytes is at 1%, and memory fell." }, anomalies) ?? "", /node_filesystem_avail_bytes/);
    assert.equal(narrationProblem(rca, { ...narration, summary: "node_vmstat_pgmajfault rose as memory fell." }, anomalies), undefined, "anomalies' metrics are known");
    const schema = narrationSchemaFor(rca, anomalies);
    const parsed = schema.safeParse({ ...narration, citations: ["e42"] });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /e42/, "the problem goes back to the model in the repair attempt");
  });

  it("hands the model a compact view: causes, evidence and anomalies, no samples", () => {
    const data = narrationData(rca, anomalies) as { causes: unknown[]; evidence: Array<{ id: string; observed: number }>; anomalies: unknown[] };
    assert.equal(data.causes.length, 2);
    assert.deepEqual(data.evidence.map((e) => e.id), ["e1", "e2", "e3"]);
    assert.equal(data.evidence[0]?.observed, 3e8);
    assert.ok(JSON.stringify(data).length < 4000);
  });
});
