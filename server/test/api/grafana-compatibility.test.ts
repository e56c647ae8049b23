import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { compressSync } from "snappy";
import { startTestApp, type TestApp } from "#test/harness.ts";
import { encodeWriteRequest } from "#test/support/remote-write-encoder.ts";

/*
 * The requests Grafana's Prometheus data source makes (health check, metric browser, a
 * time-series panel), replayed as Grafana sends them: basic auth with the API key as the
 * password, form-encoded POSTs for queries, Unix-second timestamps with fractions.
 */
describe("Grafana Prometheus data source compatibility", () => {
  let t: TestApp;
  let base: string;
  let authorization: string;
  const end = Math.floor(Date.now() / 15_000) * 15_000;
  const start = end - 3600_000;

  before(async () => {
    t = await startTestApp();
    const owner = await t.register("grafana_user");
    const key = await t.apiKey(owner.access_token, ["read", "ingest"]);
    authorization = `Basic ${Buffer.from(`grafana:${key}`).toString("base64")}`;
    const series = ["0", "1"].flatMap((cpu) =>
      ["idle", "user"].map((mode) => ({
        labels: { __name__: "node_cpu_seconds_total", cpu, mode, instance: "web-1:9100", job: "node" },
        samples: Array.from({ length: 241 }, (_, i) => ({ t: start + i * 15_000, v: i * (mode === "idle" ? 14 : 1) })),
      })),
    );
    base = await t.listen();
    const written = await fetch(`${base}/prometheus/api/v1/write`, {
      method: "POST",
      headers: { authorization, "content-type": "application/x-protobuf", "content-encoding": "snappy", "x-prometheus-remote-write-version": "0.1.0" },
      body: compressSync(Buffer.from(encodeWriteRequest(series, [{ type: 1, name: "node_cpu_seconds_total", help: "Seconds the CPUs spent in each mode.", unit: "" }]))),
    });
    assert.equal(written.status, 204, await written.text());
  });
  after(() => t.close());

  const grafana = async (path: string, init: { method?: string; form?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { authorization, "user-agent": "Grafana/11.3.0", "x-grafana-org-id": "1", accept: "application/json, text/plain, */*" };
    const response = await fetch(`${base}/prometheus${path}`, {
      method: init.method ?? "GET",
      headers: init.form ? { ...headers, "content-type": "application/x-www-form-urlencoded" } : headers,
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    const body = (await response.json()) as { status: string; data: unknown };
    assert.equal(response.status, 200, `${path}: ${JSON.stringify(body)}`);
    assert.equal(body.status, "success");
    return body.data;
  };
  const s = (ms: number) => String(ms / 1000);

  it("health check: buildinfo and the 1+1 query", async () => {
    const info = (await grafana("/api/v1/status/buildinfo")) as { version: string };
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    const result = await grafana("/api/v1/query", { method: "POST", form: { query: "1+1", time: s(end) } });
    assert.deepEqual(result, { resultType: "scalar", result: [end / 1000, "2"] });
  });

  it("metric browser: label names, metric names, label values and series", async () => {
    assert.deepEqual(await grafana(`/api/v1/labels?start=${s(start)}&end=${s(end)}`), ["__name__", "cpu", "instance", "job", "mode"]);
    assert.deepEqual(await grafana(`/api/v1/label/__name__/values?start=${s(start)}&end=${s(end)}`), ["node_cpu_seconds_total"]);
    const match = encodeURIComponent('{__name__="node_cpu_seconds_total"}');
    assert.deepEqual(await grafana(`/api/v1/label/mode/values?match[]=${match}&start=${s(start)}&end=${s(end)}`), ["idle", "user"]);
    const series = (await grafana(`/api/v1/series?match[]=${match}&start=${s(start)}&end=${s(end)}`)) as unknown[];
    assert.equal(series.length, 4);
    const metadata = (await grafana("/api/v1/metadata")) as Record<string, unknown>;
    assert.deepEqual(metadata.node_cpu_seconds_total, [{ type: "counter", help: "Seconds the CPUs spent in each mode.", unit: "" }]);
  });

  it("time-series panel: query_range with Grafana's form parameters, and exemplars", async () => {
    const data = (await grafana("/api/v1/query_range", {
      method: "POST",
      form: { query: 'sum by (mode) (rate(node_cpu_seconds_total{job="node"}[5m]))', start: s(start + 600_000), end: s(end), step: "60" },
    })) as { resultType: string; result: Array<{ metric: { mode: string }; values: Array<[number, string]> }> };
    assert.equal(data.resultType, "matrix");
    assert.deepEqual(data.result.map((r) => r.metric), [{ mode: "idle" }, { mode: "user" }]);
    const idle = data.result[0]?.values ?? [];
    assert.equal(idle.length, 51);
    // Two CPUs, each counting 14 per 15 s of idle: 2 × 14 / 15 per second.
    for (const [, value] of idle) assert.ok(Math.abs(Number(value) - (2 * 14) / 15) < 1e-9, value);
    assert.deepEqual(
      await grafana("/api/v1/query_exemplars", { method: "POST", form: { query: "node_cpu_seconds_total", start: s(start), end: s(end) } }),
      [],
    );
  });
});
