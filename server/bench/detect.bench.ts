import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createSeriesDetector, restoreSeriesDetector, type SeriesDetector } from "#server/modules/detection/core/index.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * `npm run bench:detect` (= node --expose-gc server/bench/detect.bench.ts [--series 2000] [--samples 3000])
 *
 * Detector core benchmark: `--series` detectors with the default (full) ensemble, fed round-robin
 * like the engine does at each scrape (15 s steps), on a mix of shapes: noisy daily-seasonal
 * gauges, random walks, quantised (integer) gauges, counters and flat series. Measures:
 *  1. samples/s scored (best of 3 passes over fresh detectors; generating values is not counted);
 *  2. snapshot bytes per series (min / mean / max) after the run, and restore speed;
 *  3. V8 heap per live detector (with --expose-gc: heap growth for `--series` detectors after
 *     500 samples each, so every window and profile is allocated).
 * Prints a markdown summary.
 */

const { values: args } = parseArgs({
  options: {
    series: { type: "string", default: "2000" },
    samples: { type: "string", default: "3000" },
  },
});
const SERIES = Number(args.series);
const SAMPLES = Number(args.samples);
const STEP = 15_000;
const DAY = 86_400_000;
const T0 = 1_700_000_000_000;

/** Values as [sample][series], generated up front so only scoring is timed. */
function generate(): Float64Array[] {
  const rnd = seededRandom(42);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const state = new Float64Array(SERIES);
  const rows: Float64Array[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const row = new Float64Array(SERIES);
    const phase = (2 * Math.PI * ((T0 + i * STEP) % DAY)) / DAY;
    for (let s = 0; s < SERIES; s++) {
      switch (s % 5) {
        case 0:
          row[s] = 100 + 30 * Math.sin(phase + s) + 2 * gauss();
          break;
        case 1:
          state[s]! += gauss();
          row[s] = state[s]!;
          break;
        case 2:
          row[s] = Math.round(5 + 2 * gauss());
          break;
        case 3:
          state[s]! += 10 + Math.floor(rnd() * 5);
          row[s] = state[s]!;
          break;
        default:
          row[s] = 42;
      }
    }
    rows.push(row);
  }
  return rows;
}

function run(rows: Float64Array[], detectors: SeriesDetector[]): number {
  let sink = 0;
  const started = performance.now();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const t = T0 + i * STEP;
    for (let s = 0; s < detectors.length; s++) sink += detectors[s]!.score(t, row[s]!).score;
    if (!Number.isFinite(sink)) sink = 0;
  }
  return performance.now() - started;
}

const gc = (globalThis as { gc?: () => void }).gc;
const rows = generate();
const total = SERIES * SAMPLES;
let best = Number.POSITIVE_INFINITY;
let detectors: SeriesDetector[] = [];
for (let pass = 0; pass < 3; pass++) {
  detectors = Array.from({ length: SERIES }, () => createSeriesDetector());
  best = Math.min(best, run(rows, detectors));
}
const perSecond = total / (best / 1000);

const sizes = detectors.map((d) => d.snapshot().length);
const snapshots = detectors.map((d) => d.snapshot());
const restoreStart = performance.now();
const restored = snapshots.map((b) => restoreSeriesDetector(b));
const restoreMs = performance.now() - restoreStart;

let heapPerDetector = Number.NaN;
if (gc !== undefined) {
  detectors = [];
  restored.length = 0;
  gc();
  const base = process.memoryUsage().heapUsed;
  const kept = Array.from({ length: SERIES }, () => createSeriesDetector());
  run(rows.slice(0, 500), kept);
  gc();
  heapPerDetector = (process.memoryUsage().heapUsed - base) / kept.length;
}

const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
const lines = [
  `## Detector core (${SERIES} series × ${SAMPLES} samples, default ensemble, Node ${process.version})`,
  "",
  `| measure | value |`,
  `| --- | ---: |`,
  `| samples/s scored (best of 3) | ${Math.round(perSecond).toLocaleString("en-US")} |`,
  `| snapshot bytes per series (min / mean / max) | ${Math.min(...sizes)} / ${Math.round(mean)} / ${Math.max(...sizes)} |`,
  `| restore, detectors/s | ${Math.round(SERIES / (restoreMs / 1000)).toLocaleString("en-US")} |`,
  `| V8 heap per live detector | ${Number.isNaN(heapPerDetector) ? "n/a (run with --expose-gc)" : `${Math.round(heapPerDetector).toLocaleString("en-US")} B`} |`,
];
process.stdout.write(`${lines.join("\n")}\n`);
