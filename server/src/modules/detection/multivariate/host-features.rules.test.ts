import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HOST_FEATURES, hostFeatures, newHostFeatureState, type HostFeature, type HostSample } from "#server/modules/detection/multivariate/host-features.rules.ts";

/** A 2-CPU host's node_exporter samples after `seconds` of uptime, at the given per-second rates. */
function scrape(seconds: number, r: { user: number; iowait: number; faults: number; netBytes: number }, counterBase = 0): HostSample[] {
  const s = (name: string, value: number, labels: Record<string, string> = {}): HostSample => ({ labels: { __name__: name, instance: "h:9100", job: "node", ...labels }, value });
  const samples: HostSample[] = [];
  for (const cpu of ["0", "1"]) {
    samples.push(s("node_cpu_seconds_total", counterBase + seconds * r.user, { cpu, mode: "user" }));
    samples.push(s("node_cpu_seconds_total", counterBase + seconds * r.iowait, { cpu, mode: "iowait" }));
    samples.push(s("node_cpu_seconds_total", counterBase + seconds * (1 - r.user - r.iowait), { cpu, mode: "idle" }));
  }
  samples.push(
    s("node_load1", 3),
    s("node_memory_MemTotal_bytes", 8e9),
    s("node_memory_MemAvailable_bytes", 2e9),
    s("node_memory_SwapTotal_bytes", 1e9),
    s("node_memory_SwapFree_bytes", 7.5e8),
    s("node_vmstat_pgmajfault", counterBase + seconds * r.faults),
    s("node_network_receive_bytes_total", counterBase + seconds * r.netBytes, { device: "eth0" }),
    s("node_network_receive_bytes_total", 1e12, { device: "lo" }),
    s("node_filesystem_size_bytes", 100, { mountpoint: "/" }),
    s("node_filesystem_avail_bytes", 40, { mountpoint: "/" }),
    s("node_filesystem_size_bytes", 200, { mountpoint: "/data" }),
    s("node_filesystem_avail_bytes", 20, { mountpoint: "/data" }),
    s("node_filesystem_avail_bytes", Number.NaN, { mountpoint: "/broken" }),
  );
  return samples;
}

const feature = (v: Float64Array | undefined, f: HostFeature): number => v?.[HOST_FEATURES.indexOf(f)] ?? Number.NaN;

describe("host features", () => {
  it("turns one scrape of node_exporter series into the host's indicator vector (rates from the previous scrape)", () => {
    const state = newHostFeatureState();
    const rates = { user: 0.3, iowait: 0.05, faults: 12, netBytes: 1e6 };
    assert.equal(hostFeatures(state, scrape(100, rates), 100_000), undefined, "no rates on the first scrape");
    const v = hostFeatures(state, scrape(115, rates), 115_000);
    assert.ok(v);
    assert.ok(Math.abs(feature(v, "cpu_user") - 0.3) < 1e-9);
    assert.ok(Math.abs(feature(v, "cpu_iowait") - 0.05) < 1e-9);
    assert.equal(feature(v, "cpu_steal"), 0);
    assert.equal(feature(v, "load_per_cpu"), 1.5);
    assert.equal(feature(v, "memory_available_ratio"), 0.25);
    assert.equal(feature(v, "swap_used_ratio"), 0.25);
    assert.ok(Math.abs(feature(v, "major_faults_per_second") - 12) < 1e-9);
    assert.ok(Math.abs(feature(v, "network_bytes_per_second") - 1e6) < 1e-6, "loopback traffic is left out");
    assert.equal(feature(v, "filesystem_free_ratio_min"), 0.1);
  });

  it("counts a counter reset from zero, as rate() does", () => {
    const state = newHostFeatureState();
    const rates = { user: 0.3, iowait: 0.05, faults: 12, netBytes: 1e6 };
    hostFeatures(state, scrape(100, rates, 1e6), 100_000);
    // The host rebooted: every counter restarts near zero.
    const v = hostFeatures(state, scrape(15, rates), 115_000);
    assert.ok(Math.abs(feature(v, "major_faults_per_second") - 12) < 1e-9);
    assert.ok(Math.abs(feature(v, "cpu_user") - 0.3) < 1e-9);
  });
});
