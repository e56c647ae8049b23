import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { compressSync } from "snappy";
import { encodeWriteRequest } from "#server/platform/remote-write/write-request.encode.ts";
import { startPrometheus, type PrometheusServer } from "#e2e/support/prometheus.ts";
import { startTestApp, type TestApp } from "#test/harness.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * Debian's Prometheus (2.42) and Auspex receive the same node_exporter-like samples by
 * remote_write; a broad query set must give the same query_range results (within 1e-6
 * relative). Query steps fall between sample timestamps, where Prometheus 2.x's closed and
 * 3.x's left-open windows select the same samples; counters start well above zero, where 2.x
 * and 3.x extrapolate rate() alike (they differ for counters that start near zero).
 */

const STEP_MS = 15_000;
const HOSTS = 4;
const POINTS = 240; // one hour
// Off the 15 s grid, so no sample sits on a window or subquery boundary (where 2.x and 3.x differ).
const END = Math.floor(Date.now() / STEP_MS) * STEP_MS - 60_000 + 1_234;
const START = END - (POINTS - 1) * STEP_MS;

type Series = { labels: Record<string, string>; samples: Array<{ t: number; v: number }> };

function generate(): Series[] {
  const next = seededRandom(42);
  const out: Series[] = [];
  const times = Array.from({ length: POINTS }, (_, i) => START + i * STEP_MS);
  for (let h = 0; h < HOSTS; h++) {
    const instance = `host-${h}:9100`;
    for (let cpu = 0; cpu < 2; cpu++) {
      for (const mode of ["idle", "user", "system", "iowait"]) {
        let value = next() * 1000;
        const resetAt = h === 1 && cpu === 0 && mode === "user" ? 120 : -1;
        out.push({
          labels: { __name__: "node_cpu_seconds_total", instance, job: "node", cpu: String(cpu), mode },
          samples: times.map((t, i) => {
            value = i === resetAt ? next() : value + next() * (mode === "idle" ? 14 : 3);
            return { t, v: value };
          }),
        });
      }
    }
    const total = 8e9 + h * 1e9;
    out.push({ labels: { __name__: "node_memory_MemTotal_bytes", instance, job: "node" }, samples: times.map((t) => ({ t, v: total })) });
    out.push({
      labels: { __name__: "node_memory_MemAvailable_bytes", instance, job: "node" },
      samples: times.map((t, i) => ({ t, v: total * (0.3 + 0.2 * Math.sin(i / 20 + h)) })),
    });
    out.push({
      labels: { __name__: "node_load1", instance, job: "node" },
      samples: times.map((t, i) => ({ t, v: Math.round((1 + h + Math.sin(i / 10)) * 100) / 100 })),
    });
    let requests = 0;
    const buckets = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"];
    const counts = buckets.map((_, b) => 10_000 * (b + 1));
    const bucketSeries = buckets.map((le) => ({ labels: { __name__: "http_request_duration_seconds_bucket", instance, job: "api", le }, samples: [] as Series["samples"] }));
    const countSeries: Series = { labels: { __name__: "http_request_duration_seconds_count", instance, job: "api" }, samples: [] };
    for (const t of times) {
      const n = Math.floor(next() * 50);
      requests += n;
      for (let k = 0; k < n; k++) {
        const latency = next() ** 2;
        buckets.forEach((le, b) => {
          if (le === "+Inf" || latency <= Number(le)) counts[b] = (counts[b] ?? 0) + 1;
        });
      }
      bucketSeries.forEach((s, b) => s.samples.push({ t, v: counts[b] ?? 0 }));
      countSeries.samples.push({ t, v: requests });
    }
    out.push(...bucketSeries, countSeries);
  }
  return out;
}

/** Chronological remote_write batches of 20 steps (Prometheus refuses samples far behind its head). */
function batches(series: Series[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let from = 0; from < POINTS; from += 20) {
    out.push(compressSync(Buffer.from(encodeWriteRequest(series.map((s) => ({ labels: s.labels, samples: s.samples.slice(from, from + 20) }))))));
  }
  return out;
}

const QUERIES = [
  "rate(http_request_duration_seconds_bucket[5m])",
  "node_load1",
  "rate(node_cpu_seconds_total[5m])",
  "irate(node_cpu_seconds_total[2m])",
  "increase(node_cpu_seconds_total[10m])",
  'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))',
  "avg without (cpu) (rate(node_cpu_seconds_total[5m]))",
  "max by (mode) (rate(node_cpu_seconds_total[5m]))",
  "min(node_load1)",
  "count by (job) (node_load1)",
  "stddev(node_load1)",
  "stdvar by (job) (node_load1)",
  "topk(2, node_load1)",
  "bottomk(1, node_load1)",
  "quantile(0.9, node_load1)",
  "count_values(\"value\", round(node_load1))",
  "group by (instance) (node_load1)",
  "1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
  "node_memory_MemAvailable_bytes / on(instance) group_left node_load1",
  "node_load1 > 2",
  "node_load1 > bool 2",
  "node_load1 and on(instance) (node_load1 > 3)",
  "node_load1 unless node_load1 > 3",
  "node_load1 or vector(0)",
  "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
  "histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[5m]))",
  "avg_over_time(node_load1[10m])",
  "max_over_time(node_load1[10m])",
  "min_over_time(node_load1[5m])",
  "sum_over_time(node_load1[5m])",
  "count_over_time(node_load1[5m])",
  "stddev_over_time(node_load1[10m])",
  "quantile_over_time(0.75, node_load1[10m])",
  "last_over_time(node_load1[5m])",
  "changes(node_load1[10m])",
  "resets(node_cpu_seconds_total[30m])",
  "deriv(node_memory_MemAvailable_bytes[10m])",
  "predict_linear(node_memory_MemAvailable_bytes[10m], 3600)",
  "delta(node_memory_MemAvailable_bytes[10m])",
  "idelta(node_memory_MemAvailable_bytes[5m])",
  "abs(-node_load1)",
  "ceil(node_load1) + floor(node_load1)",
  "round(node_load1, 0.5)",
  "clamp(node_load1, 1.5, 3)",
  "clamp_min(node_load1, 2) - clamp_max(node_load1, 2)",
  "sqrt(node_load1) * ln(node_load1) / log2(node_load1 + 1) - log10(node_load1) + exp(-node_load1)",
  'label_replace(node_load1, "host", "$1", "instance", "(.*):.*")',
  'label_join(node_load1, "id", "/", "job", "instance")',
  "node_load1 offset 10m",
  "max_over_time(rate(node_cpu_seconds_total[2m])[10m:1m])",
  "absent(nonexistent_metric)",
  "time() - timestamp(node_load1)",
  "scalar(sum(node_load1)) * node_load1",
  "sgn(node_load1 - 2.5)",
  "hour(timestamp(node_load1)) * 0 + minute(timestamp(node_load1))",
];

type Matrix = Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;

describe("PromQL results agree with Debian's Prometheus", () => {
  let prometheus: PrometheusServer;
  let t: TestApp;
  let readKey: string;
  let auspexUrl: string;

  before(async () => {
    prometheus = await startPrometheus();
    t = await startTestApp();
    const owner = await t.register("promql_compare");
    readKey = await t.apiKey(owner.access_token, ["ingest", "read"]);
    auspexUrl = await t.listen();
    const headers = { "content-type": "application/x-protobuf", "content-encoding": "snappy", "x-prometheus-remote-write-version": "0.1.0" };
    for (const body of batches(generate())) {
      const toPrometheus = await fetch(`${prometheus.url}/api/v1/write`, { method: "POST", headers, body });
      assert.equal(toPrometheus.status, 204, await toPrometheus.text());
      const toAuspex = await fetch(`${auspexUrl}/prometheus/api/v1/write`, { method: "POST", headers: { ...headers, authorization: `Bearer ${readKey}` }, body });
      assert.equal(toAuspex.status, 204, await toAuspex.text());
    }
  });
  after(async () => {
    await t?.close();
    await prometheus?.stop();
  });

  const rangeQuery = async (base: string, query: string, auth: boolean): Promise<Matrix> => {
    const params = new URLSearchParams({ query, start: String((START + 7_500) / 1000), end: String((END - 7_500) / 1000), step: "30" });
    const response = await fetch(`${base}/api/v1/query_range`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(auth ? { authorization: `Bearer ${readKey}` } : {}) },
      body: params.toString(),
    });
    const body = (await response.json()) as { status: string; data: { result: Matrix }; error?: string };
    assert.equal(body.status, "success", `${base}: ${query}: ${body.error ?? ""}`);
    return body.data.result;
  };

  const key = (metric: Record<string, string>) => JSON.stringify(Object.entries(metric).sort(([a], [b]) => (a < b ? -1 : 1)));
  const close = (a: string, b: string) => {
    if (a === b) return true;
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) && Number.isNaN(y)) return true;
    return Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), Math.abs(y));
  };

  for (const query of QUERIES) {
    it(query, async () => {
      const expected = await rangeQuery(prometheus.url, query, false);
      const actual = await rangeQuery(`${auspexUrl}/prometheus`, query, true);
      const want = new Map(expected.map((s) => [key(s.metric), s.values]));
      const got = new Map(actual.map((s) => [key(s.metric), s.values]));
      assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), "series differ");
      assert.ok(want.size > 0 || query.startsWith("absent"), "the reference returned nothing: the query tests nothing");
      for (const [series, values] of want) {
        const mine = got.get(series) ?? [];
        assert.deepEqual(mine.map(([ts]) => ts), values.map(([ts]) => ts), `timestamps of ${series}`);
        values.forEach(([ts, v], i) => assert.ok(close(mine[i]?.[1] ?? "", v), `${series} at ${ts}: Auspex ${mine[i]?.[1]} vs Prometheus ${v}`));
      }
    });
  }
});
