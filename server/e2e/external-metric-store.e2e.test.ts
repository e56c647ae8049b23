import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExternalStoreError, createExternalMetricStore } from "#server/modules/metric-store/external/external-metric-store.ts";
import { startPrometheus, type PrometheusServer } from "#e2e/support/prometheus.ts";

const NOW = Math.floor(Date.now() / 60_000) * 60_000;
const at = (secondsBefore: number) => NOW - secondsBefore * 1000;

describe("external metric store against Debian's Prometheus", () => {
  let prometheus: PrometheusServer;
  let store: ReturnType<typeof createExternalMetricStore>;

  before(async () => {
    prometheus = await startPrometheus();
    store = createExternalMetricStore({ url: prometheus.url, ownerLabel: "auspex_user", timeoutMs: 10_000 });
    await store.append("alice", [
      { labels: { __name__: "node_load1", instance: "web-1", job: "node" }, samples: [{ t: at(60), v: 0.5 }, { t: at(45), v: 0.75 }, { t: at(30), v: Number.POSITIVE_INFINITY }] },
      { labels: { __name__: "node_load1", instance: "web-2", job: "node" }, samples: [{ t: at(60), v: 2 }] },
      // A user cannot write into someone else's namespace by setting the owner label.
      { labels: { __name__: "spoof", auspex_user: "bob" }, samples: [{ t: at(60), v: 1 }] },
    ]);
    await store.append("bob", [{ labels: { __name__: "node_load1", instance: "db-1", job: "node" }, samples: [{ t: at(60), v: 9 }] }]);
  });
  after(async () => {
    await prometheus?.stop();
  });

  it("talks to the real server", () => {
    assert.match(prometheus.version, /^2\.42/);
  });

  it("reads back a user's raw samples, without the owner label", async () => {
    const series = await store.select("alice", [{ type: "=", name: "__name__", value: "node_load1" }, { type: "=", name: "instance", value: "web-1" }], at(60), NOW);
    assert.equal(series.length, 1);
    assert.deepEqual(series[0]?.labels, { __name__: "node_load1", instance: "web-1", job: "node" });
    assert.deepEqual([...(series[0]?.timestamps ?? [])], [at(60), at(45), at(30)]);
    assert.deepEqual([...(series[0]?.values ?? [])], [0.5, 0.75, Number.POSITIVE_INFINITY]);
    const window = await store.select("alice", [{ type: "=", name: "instance", value: "web-1" }], at(50), at(40));
    assert.deepEqual([...(window[0]?.timestamps ?? [])], [at(45)]);
  });

  it("never returns another user's series, labels or values", async () => {
    const everything = [{ type: "=~" as const, name: "__name__", value: ".+" }];
    const alice = await store.select("alice", everything, at(3600), NOW);
    assert.deepEqual(alice.map((s) => s.labels.instance ?? s.labels.__name__).sort(), ["spoof", "web-1", "web-2"]);
    const bob = await store.series("bob", [], at(3600), NOW);
    assert.deepEqual(bob, [{ __name__: "node_load1", instance: "db-1", job: "node" }]);
    assert.deepEqual(await store.labelValues("alice", "instance", [], at(3600), NOW), ["web-1", "web-2"]);
    assert.ok(!(await store.labelNames("alice", [], at(3600), NOW)).includes("auspex_user"));
    assert.deepEqual(await store.labelValues("alice", "auspex_user", [], at(3600), NOW), []);
    // Matchers on the owner label are ANDed with the enforced one: they cannot widen a query.
    assert.deepEqual(await store.select("alice", [{ type: "=", name: "auspex_user", value: "bob" }], at(3600), NOW), []);
    assert.deepEqual(await store.select("alice", [{ type: "!=", name: "auspex_user", value: "alice" }], at(3600), NOW), []);
  });

  it("reports what the server refuses instead of losing it silently", async () => {
    const result = await store.append("alice", [{ labels: { __name__: "node_load1", instance: "web-1", job: "node" }, samples: [{ t: at(600), v: 1 }] }]);
    assert.equal(result.accepted, 0);
    assert.equal(result.rejected, 1);
    assert.match(result.rejections[0]?.reason ?? "", /external store refused: 400/);
  });

  it("deletes one user's series and keeps the others'", async () => {
    await store.deleteUser("alice");
    assert.deepEqual(await store.select("alice", [{ type: "=~", name: "__name__", value: ".+" }], at(3600), NOW), []);
    assert.equal((await store.series("bob", [], at(3600), NOW)).length, 1);
    const stats = await store.stats();
    assert.ok(stats.headSeries >= 1);
    assert.equal(stats.bytesOnDisk, null);
  });

  it("fails clearly when the server is unreachable", async () => {
    const dead = createExternalMetricStore({ url: "http://127.0.0.1:1", ownerLabel: "auspex_user", timeoutMs: 2000, writeAttempts: 1 });
    await assert.rejects(dead.series("alice", [], 0, NOW), ExternalStoreError);
    await assert.rejects(dead.append("alice", [{ labels: { __name__: "x" }, samples: [{ t: NOW, v: 1 }] }]), /remote_write to .* failed after 1 attempts/);
  });
});
