import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { anomalySeriesQuery, hostMatcher, hostOf, planEvidenceQueries } from "#server/modules/rca/evidence-queries.rules.ts";
import { anomaly } from "#server/modules/rca/anomaly.fixture.ts";

describe("evidence queries", () => {
  it("takes the host part of an instance", () => {
    assert.equal(hostOf("web-1:9100"), "web-1");
    assert.equal(hostOf("web-1"), "web-1");
    assert.equal(hostOf("10.0.0.5:8080"), "10.0.0.5");
    assert.equal(hostOf("[::1]:9100"), "::1");
    assert.equal(hostOf("https://api.example.com:443/metrics"), "api.example.com");
  });

  it("matches every port of a host, regex characters escaped inside a PromQL string", () => {
    assert.equal(hostMatcher("db.internal"), 'instance=~"db\\\\.internal(:[0-9]+)?"');
  });

  it("plans node queries per host (peers included) and each service anomaly's own series", () => {
    const queries = planEvidenceQueries([
      anomaly({ id: "a1", metric: "http_client_request_duration_seconds", labels: { __name__: "http_client_request_duration_seconds", instance: "web-1:8080", job: "api", peer: "db-1:5432" } }),
      anomaly({ id: "a2", metric: "http_requests_errors_total", labels: { __name__: "http_requests_errors_total", instance: "web-1:8080", job: "api" } }),
      anomaly({ id: "a3", metric: "node_load1", labels: { __name__: "node_load1", instance: "web-1:9100", job: "node" } }),
    ]);
    assert.deepEqual([...new Set(queries.filter((q) => q.signal !== "service").map((q) => q.host))], ["db-1", "web-1"]);
    assert.ok(queries.some((q) => q.signal === "memory_available_ratio" && q.host === "db-1"));
    const service = queries.filter((q) => q.signal === "service");
    assert.deepEqual(
      service.map((q) => [q.anomalyId, q.promql]),
      [
        ["a1", 'http_client_request_duration_seconds{instance="web-1:8080",job="api",peer="db-1:5432"}'],
        ["a2", 'rate(http_requests_errors_total{instance="web-1:8080",job="api"}[5m])'],
      ],
    );
    assert.deepEqual(
      queries.map((q) => q.key),
      queries.map((_, i) => `q${i + 1}`),
    );
    assert.equal(anomalySeriesQuery({ metric: "x", labels: { __name__: "x", a: 'say "hi"' } }), 'x{a="say \\"hi\\""}');
  });
});
