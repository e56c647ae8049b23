import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { createQueryService } from "#server/modules/query/index.ts";
import { createPrefetchedSource } from "#server/modules/query/promql/prefetched-source.ts";
import { evaluateRange } from "#server/modules/query/promql/evaluator.rules.ts";

/** CPU time of this process (ms): steadier than wall time when other work shares the machine. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const HOSTS = 100;
const CPUS = 8;
const MODES = ["user", "system", "idle", "iowait", "irq", "softirq", "steal", "nice"];
const STEP = 15_000;
const USER = "bench-user";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-promql-bench-"));
const end = Math.floor(Date.now() / STEP) * STEP - 60_000;
const points = Math.round((65 * 60_000) / STEP) + 1;
const start = end - (points - 1) * STEP;
const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0 });
const series: Array<{ labels: Record<string, string>; base: number; slope: number }> = [];
for (let h = 0; h < HOSTS; h++)
  for (let c = 0; c < CPUS; c++)
    MODES.forEach((mode, k) =>
      series.push({ labels: { __name__: "node_cpu_seconds_total", instance: `host-${h}:9100`, job: "node", cpu: String(c), mode }, base: (h * 7 + c * 3) * 1000, slope: k === 0 ? 14.2 : 0.37 }),
    );
for (let from = 0; from < series.length; from += 1000) {
  const batch = series.slice(from, from + 1000).map((s) => ({ labels: s.labels, samples: Array.from({ length: points }, (_, i) => ({ t: start + i * STEP, v: s.base + i * s.slope })) }));
  await store.append(USER, batch);
}
const service = createQueryService({ store, limits: { timeoutMs: 120_000, maxSamples: 50_000_000, lookbackDeltaMs: 300_000 }, clock: { now: () => new Date() } });
const actor = { userId: USER } as Parameters<typeof service.rangeQuery>[0];
const query = process.argv[2] ?? "sum by (instance) (rate(node_cpu_seconds_total[5m]))";
const times: number[] = [];
const selects: number[] = [];
const evals: number[] = [];
const matchers = [{ type: "=" as const, name: "__name__", value: "node_cpu_seconds_total" }];
const pre = createPrefetchedSource([{ matchers, series: await store.select(USER, matchers, end - 3_900_000, end) }]);
for (let run = 0; run < 12; run++) {
  const s0 = cpuMs();
  await store.select(USER, [{ type: "=", name: "__name__", value: "node_cpu_seconds_total" }], start, end);
  selects.push(cpuMs() - s0);
  const e0 = cpuMs();
  evaluateRange(pre, { query, start: end - 3_600_000, end, step: STEP }, {});
  evals.push(cpuMs() - e0);
  const t0 = cpuMs();
  const result = await service.rangeQuery(actor, { query, start: end - 3_600_000, end, step: STEP });
  times.push(cpuMs() - t0);
  if (run === 0) console.log("result series", result.series.length, "points", result.series[0]?.points.length);
}
times.sort((a, b) => a - b);
selects.sort((a, b) => a - b);
evals.sort((a, b) => a - b);
console.log(`select median ${selects[6]!.toFixed(1)} best ${selects[0]!.toFixed(1)} ms; eval median ${evals[6]!.toFixed(1)} best ${evals[0]!.toFixed(1)} ms; query median ${times[6]!.toFixed(1)} ms, best ${times[0]!.toFixed(1)}`);
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
