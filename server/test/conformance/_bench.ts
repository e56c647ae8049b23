import { createMemorySource, evaluateRange } from "#server/modules/query/promql/index.ts";
const src = createMemorySource();
for (let i = 0; i < 500; i++) for (let t = 0; t < 86_400; t += 15) src.add({ __name__: "http_requests_total", instance: `i${i}`, job: `j${i % 10}` }, t * 1000, t * (i + 1));
for (const q of ["sum by (job) (rate(http_requests_total[5m]))", "http_requests_total", "max_over_time(http_requests_total[1h])", "avg_over_time(rate(http_requests_total[5m])[30m:1m])"]) {
  const t0 = performance.now();
  const r = evaluateRange(src, { query: q, start: 0, end: 86_400_000, step: 86_400 }, {});
  console.log(q, r.series.length, (performance.now() - t0).toFixed(0), "ms");
}
