import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { evaluateRange } from "#server/modules/query/promql/evaluator.rules.ts";
import { createPrefetchedSource } from "#server/modules/query/promql/prefetched-source.ts";
import { ParallelRangeFolder } from "#server/modules/query/parallel-range-folder.ts";

/*
 * `npm run bench:promql [-- "<query>"]`: where a range query's time goes, in process (no HTTP).
 * 100 hosts × 8 CPUs × 8 modes of node_cpu_seconds_total (6,400 series) at 15 s for 65 minutes in
 * the embedded store's head; the query (default `sum by (instance) (rate(node_cpu_seconds_total[5m]))`)
 * runs over the last hour at a 15 s step. Times, each the median and best of 10 runs:
 *  - select: reading the selector's samples from the store, decoded chunks cached (the first
 *    read, which decodes everything, is reported apart);
 *  - evaluate: the PromQL engine alone over samples already in memory (as a repeated read hands
 *    them out), series-major in this thread (default), series-major with the folds shared with
 *    worker threads (as the server does), and stepping through the range (the reference evaluator);
 * Prints a markdown summary.
 */

const HOSTS = 100;
const CPUS = 8;
const MODES = ["user", "system", "idle", "iowait", "irq", "softirq", "steal", "nice"];
const STEP = 15_000;
const USER = "bench-user";
const RUNS = 10;
/** Worker threads for the shared fold (the server's default on this machine: cores - 1, at most 3). */
const THREADS = Math.min(3, Math.max(1, os.availableParallelism() - 1));
const query = process.argv[2] ?? "sum by (instance) (rate(node_cpu_seconds_total[5m]))";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-promql-bench-"));
const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0 });
const end = Math.floor(Date.now() / STEP) * STEP - 60_000;
const points = (65 * 60_000) / STEP + 1;
const start = end - (points - 1) * STEP;

try {
  const series: Array<{ labels: Record<string, string>; base: number; slope: number }> = [];
  for (let h = 0; h < HOSTS; h++)
    for (let c = 0; c < CPUS; c++)
      MODES.forEach((mode, k) =>
        series.push({
          labels: { __name__: "node_cpu_seconds_total", instance: `host-${h}:9100`, job: "node", cpu: String(c), mode },
          base: (h * 7 + c * 3) * 1000,
          slope: k === 0 ? 14.2 : 0.37,
        }),
      );
  for (let from = 0; from < series.length; from += 1000) {
    const batch = series.slice(from, from + 1000).map((s) => ({
      labels: s.labels,
      samples: Array.from({ length: points }, (_, i) => ({ t: start + i * STEP, v: s.base + i * s.slope })),
    }));
    await store.append(USER, batch);
  }

  const matchers = [{ type: "=" as const, name: "__name__", value: "node_cpu_seconds_total" }];
  const time = async (run: () => unknown): Promise<{ median: number; best: number }> => {
    const timings: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await run();
      timings.push(performance.now() - t0);
    }
    timings.sort((a, b) => a - b);
    return { median: timings[RUNS >> 1] ?? NaN, best: timings[0] ?? NaN };
  };

  const c0 = performance.now();
  const selected = await store.select(USER, matchers, end - 3_900_000, end);
  const firstSelect = performance.now() - c0;
  const samples = selected.reduce((n, s) => n + s.timestamps.length, 0);
  const select = await time(() => store.select(USER, matchers, end - 3_900_000, end));
  // What a repeated query evaluates: the views a read served by the decoded-series cache hands out
  // (shared memory, which the worker threads read in place).
  const cachedSelection = await store.select(USER, matchers, end - 3_900_000, end);
  const source = createPrefetchedSource([{ matchers, series: cachedSelection }]);
  const range = { query, start: end - 3_600_000, end, step: STEP };
  const seriesMajor = await time(() => evaluateRange(source, range));
  const folder = new ParallelRangeFolder({ threads: THREADS });
  evaluateRange(source, range, { rangeFolder: folder }); // starts the workers
  await sleep(500);
  const parallel = await time(() => evaluateRange(source, range, { rangeFolder: folder }));
  await folder.close();
  const stepped = await time(() => evaluateRange(source, range, { seriesMajor: false }));
  const ms = (t: { median: number; best: number }): string => `${t.median.toFixed(1)} ms (best ${t.best.toFixed(1)})`;

  process.stdout.write(
    [
      `## PromQL in process (${os.cpus().length} × ${os.cpus()[0]?.model.split(" ").slice(0, 2).join(" ")}, Node ${process.version})`,
      "",
      `\`${query}\`, 1 h at 15 s over ${series.length.toLocaleString("en-US")} series (${samples.toLocaleString("en-US")} samples read); medians of ${RUNS} runs:`,
      "",
      "| phase | time |",
      "| --- | ---: |",
      `| select, first read (decodes every chunk) | ${firstSelect.toFixed(1)} ms |`,
      `| select, repeated (decoded chunks cached) | ${ms(select)} |`,
      `| evaluate, series-major | ${ms(seriesMajor)} |`,
      `| evaluate, series-major, folds shared with ${THREADS} worker thread${THREADS === 1 ? "" : "s"} | ${ms(parallel)} |`,
      `| evaluate, stepping (reference) | ${ms(stepped)} |`,
      "",
    ].join("\n"),
  );
} finally {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
