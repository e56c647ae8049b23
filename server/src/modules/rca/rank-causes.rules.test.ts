import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rca } from "@auspex/shared/contracts/rca.ts";
import { anomaly } from "#server/modules/rca/anomaly.fixture.ts";
import { anomalyCause, rankCauses } from "#server/modules/rca/rank-causes.rules.ts";
import { composeRca } from "#server/modules/rca/rca-text.rules.ts";
import type { DerivedSignal, SignalObservation } from "#server/modules/rca/signals.rules.ts";

const T0 = Date.parse("2026-03-03T00:00:00Z");
const MIN = 60_000;

/** A deviated (onset given) or quiet (onset null) observation. */
function obs(signal: DerivedSignal, instance: string, onsetMin: number | null, over: Partial<SignalObservation> = {}): SignalObservation {
  return {
    signal,
    host: instance.replace(/:\d+$/, ""),
    labels: { instance },
    promql: `${signal}{instance="${instance}"}`,
    unit: "ratio",
    baseline: 0.1,
    peak: 0.5,
    peakAt: T0 + 60 * MIN,
    onset: onsetMin === null ? null : T0 + onsetMin * MIN,
    saturated: onsetMin !== null,
    deviation: onsetMin === null ? 0.3 : 4,
    direction: "up",
    anomalyId: null,
    ...over,
  };
}

const latency = (instance: string, onsetMin: number, labels: Record<string, string> = {}, anomalyId: string | null = null) =>
  obs("service", instance, onsetMin, { labels: { __name__: "http_request_duration_seconds", instance, ...labels }, unit: "seconds", anomalyId });

describe("ranking causes", () => {
  it("puts memory exhaustion before the I/O wait and latency it causes (memory → swap → major faults → iowait → latency)", () => {
    const observations = [
      obs("memory_available_ratio", "web-1:9100", 10, { direction: "down", baseline: 0.6, peak: 0.02 }),
      obs("swap_used_ratio", "web-1:9100", 40),
      obs("major_faults_rate", "web-1:9100", 41, { unit: "per_second" }),
      obs("cpu_iowait_share", "web-1:9100", 42, { labels: { instance: "web-1:9100", mode: "iowait" } }),
      obs("disk_busy_ratio", "web-1:9100", 42, { labels: { instance: "web-1:9100", device: "sda" } }),
      latency("web-1:8080", 45),
      obs("cpu_busy_share", "web-1:9100", null),
    ];
    const ranking = rankCauses({ anomalies: [], observations });
    assert.deepEqual(
      ranking.causes.map((c) => c.kind),
      ["memory_exhaustion", "io_saturation"],
    );
    assert.deepEqual(ranking.causes[1]?.explainedBy, { kind: "memory_exhaustion", host: "web-1" });
    assert.ok(ranking.evidence.some((e) => e.kind === "pattern" && /available memory.*major page faults.*CPU I\/O wait/.test(e.claim)), JSON.stringify(ranking.evidence.map((e) => e.claim)));
    assert.ok(ranking.causes.reduce((sum, c) => sum + c.score, 0) <= 1);
  });

  it("ranks I/O saturation first when memory stays healthy", () => {
    const observations = [
      obs("disk_busy_ratio", "web-1:9100", 10, { labels: { instance: "web-1:9100", device: "nvme0n1" } }),
      obs("cpu_iowait_share", "web-1:9100", 11),
      obs("memory_available_ratio", "web-1:9100", null, { direction: "down" }),
      latency("web-1:8080", 14),
    ];
    const rca = composeRca(rankCauses({ anomalies: [], observations }), [], new Date(T0));
    assert.equal(rca.causes[0]?.kind, "io_saturation");
    assert.equal(rca.title, "Disk I/O saturation on web-1:9100 (nvme0n1)");
    assert.match(rca.fix_plan.immediate.join(" "), /iotop/);
    Rca.parse(rca);
  });

  it("tells steal from saturation: steal up with busy time flat is the hypervisor", () => {
    const observations = [obs("cpu_steal_share", "vm-3:9100", 5), obs("cpu_busy_share", "vm-3:9100", null), obs("load_per_cpu", "vm-3:9100", 7)];
    assert.equal(rankCauses({ anomalies: [], observations }).causes[0]?.kind, "cpu_steal");
  });

  it("follows a peer label to the dependency whose own latency rose first", () => {
    const a1 = anomaly({ id: "a1", metric: "http_client_request_duration_seconds", labels: { __name__: "http_client_request_duration_seconds", instance: "web-1:8080", job: "api", peer: "db-1:9187" } });
    const a2 = anomaly({ id: "a2", metric: "pg_query_duration_seconds", labels: { __name__: "pg_query_duration_seconds", instance: "db-1:9187", job: "postgres" } });
    const observations = [
      obs("service", "web-1:8080", 12, { labels: { ...a1.labels }, anomalyId: "a1", unit: "seconds" }),
      obs("service", "db-1:9187", 10, { labels: { ...a2.labels }, anomalyId: "a2", unit: "seconds" }),
      latency("web-1:8080", 13),
      obs("memory_available_ratio", "db-1:9100", null, { direction: "down" }),
    ];
    const ranking = rankCauses({ anomalies: [a1, a2], observations });
    const top = ranking.causes[0]!;
    assert.equal(top.kind, "dependency_latency");
    assert.deepEqual(top.targets, ["db-1:9187"]);
    const topology = ranking.evidence.find((e) => e.kind === "topology");
    assert.match(topology?.claim ?? "", /calls to db-1:9187 \(label peer="db-1:9187"\); pg_query_duration_seconds on db-1:9187.*rose first/);
  });

  it("does not let an unrelated host's earlier event take the blame for a service's incident", () => {
    const observations = [
      obs("cpu_busy_share", "batch-1:9100", 0),
      obs("cpu_busy_share", "web-1:9100", 30),
      latency("web-1:8080", 33),
      obs("load_per_cpu", "web-1:9100", 31),
    ];
    const ranking = rankCauses({ anomalies: [], observations });
    assert.deepEqual(
      ranking.causes.map((c) => `${c.kind}@${c.host}`),
      ["cpu_saturation@web-1", "cpu_saturation@batch-1"],
    );
  });

  it("says it does not know when only weak anomalies point anywhere, and stays low severity", () => {
    const noise = anomaly({ id: "n1", metric: "node_network_receive_drop_total", labels: { __name__: "node_network_receive_drop_total", instance: "b:9100", device: "eth0" }, peak_score: 1.4 });
    const observations = [obs("network_drops_rate", "b:9100", null, { unit: "per_second" })];
    const ranking = rankCauses({ anomalies: [noise], observations });
    assert.equal(ranking.causes[0]?.kind, "unknown");
    const rca = composeRca(ranking, [noise], new Date(T0));
    assert.equal(rca.severity, "low");
    assert.equal(rca.confidence, 0.2);
  });

  it("is deterministic for the same input in any order", () => {
    const observations = [obs("filesystem_avail_ratio", "h:9100", 5, { direction: "down", labels: { instance: "h:9100", mountpoint: "/data" } }), obs("disk_write_rate", "h:9100", 4), latency("h:8080", 20)];
    const a = composeRca(rankCauses({ anomalies: [], observations }), [], new Date(T0));
    const b = composeRca(rankCauses({ anomalies: [], observations: [...observations].reverse() }), [], new Date(T0));
    assert.deepEqual(a, b);
    assert.equal(a.causes[0]?.kind, "disk_full");
    assert.match(a.fix_plan.immediate[0] ?? "", /under \/data on h/);
  });

  it("maps anomaly records to the cause they belong to", () => {
    const cpu = (mode: string) => anomalyCause({ metric: "node_cpu_seconds_total", labels: { mode }, contributors: [] });
    assert.deepEqual([cpu("steal"), cpu("iowait"), cpu("user"), cpu("idle")], ["cpu_steal", "io_saturation", "cpu_saturation", null]);
    assert.equal(anomalyCause({ metric: "node_memory_SwapFree_bytes", labels: {}, contributors: [] }), "memory_exhaustion");
    assert.equal(anomalyCause({ metric: "host", labels: {}, contributors: [{ indicator: "cpu_steal", weight: 0.4 }, { indicator: "cpu_user", weight: 0.2 }] }), "cpu_steal");
    assert.equal(anomalyCause({ metric: "grpc_server_handling_seconds_latency", labels: {}, contributors: [] }), "latency");
  });
});
