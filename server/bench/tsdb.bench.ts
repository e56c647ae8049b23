import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { type EmbeddedMetricStore, type Labels, createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * `node --expose-gc server/bench/tsdb.bench.ts [--series 10000] [--hours 24] [--active 100000]
 *    [--activeScrapes 120] [--skipActive] [--appendOnly] [--comparePrometheus]`
 * (RSS depends a lot on how far V8 lets its heap grow: compare with --max-old-space-size=600.)
 *
 * Embedded metric store benchmark on generated node_exporter-like data (15 s scrapes, a mix of
 * constant gauges, integer and float counters and random-walk gauges, a few ms of timestamp
 * jitter). Measures:
 *  1. append throughput through MetricStore.append (scrape-shaped batches: 1 sample per series,
 *     1000 series per call, a scrape's calls concurrent and sharing WAL group commits; time spent
 *     building the batches is not counted) as the scrape loop appends: the same frozen label
 *     object for a series at every scrape (its series cache), and, for comparison, a fresh label
 *     object per series per scrape (as before that cache); and with 120 samples per series per
 *     call (bulk shape). --appendOnly stops after this step;
 *  2. bytes per sample on disk after cutting `--hours` of data into blocks and compacting;
 *  3. latency of a 24 h read of one series;
 *  4. RSS with `--active` series in the head.
 * With --comparePrometheus the data of (2) is also fed to `promtool tsdb create-blocks-from
 * openmetrics` (Prometheus must be installed) and the size of its blocks is reported.
 * Prints a markdown summary. The data directory is removed at the end.
 */

const { values: args } = parseArgs({
  options: {
    series: { type: "string", default: "10000" },
    active: { type: "string", default: "100000" },
    hours: { type: "string", default: "24" },
    skipActive: { type: "boolean", default: false },
    appendOnly: { type: "boolean", default: false },
    comparePrometheus: { type: "boolean", default: false },
    activeScrapes: { type: "string", default: "120" },
  },
});
const SERIES = Number(args.series);
const ACTIVE = Number(args.active);
const HOURS = Number(args.hours);
const SCRAPES = Number(args.activeScrapes);
const STEP = 15_000;
const USER = "bench-user";
const HOUR = 3_600_000;
const START = Date.parse("2026-01-01T00:00:00Z");

const root = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-tsdb-bench-"));

/** `labels` is frozen: the object a scrape loop's series cache passes at every scrape. */
type Gen = { labels: Labels; next: () => number };

function makeSeries(n: number, instances = 50): Gen[] {
  const rand = seededRandom(7);
  const out: Gen[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    const labels: Labels = Object.freeze({
      __name__: `node_metric_${kind}_${Math.floor(i / 10) % 100}`,
      job: "node",
      instance: `host-${i % instances}:9100`,
      cpu: String(Math.floor(i / 1000)),
    });
    let v = Math.floor(rand() * 1000);
    let next: () => number;
    if (kind < 4) next = () => v; // constant gauges (info metrics, limits, sizes)
    else if (kind < 6) next = () => (v += Math.floor(rand() * 2000)); // byte/packet counters
    else if (kind < 8) next = () => (v = Math.round((v + rand() * 15) * 100) / 100); // cpu seconds
    else next = () => (v = Math.max(0, v + Math.round((rand() - 0.5) * 4096) * 4096)); // memory gauges
    out.push({ labels, next });
  }
  return out;
}

function jitter(rand: () => number): number {
  const r = rand();
  return r < 0.9 ? 0 : Math.floor((r - 0.9) * 40) - 2;
}

function open(dir: string, decodedChunkCacheBytes?: number): EmbeddedMetricStore {
  return createEmbeddedMetricStore({
    dir,
    maintenanceIntervalMs: 0,
    retentionMs: 365 * 24 * HOUR,
    clock: { now: () => new Date(START + HOURS * HOUR) },
    decodedChunkCacheBytes,
  });
}

/**
 * Appends `scrapes` scrapes of every series; returns samples appended, milliseconds spent in the
 * store and the main thread's CPU milliseconds meanwhile (batch building excluded from both).
 * `freshLabels`: a new label object per series per scrape instead of the series' frozen one.
 */
async function scrapeAppend(
  store: EmbeddedMetricStore,
  gens: Gen[],
  scrapes: number,
  from: number,
  freshLabels = false,
): Promise<{ samples: number; ms: number; cpuMs: number }> {
  const rand = seededRandom(11);
  let samples = 0;
  let ms = 0;
  let cpuMs = 0;
  for (let s = 0; s < scrapes; s++) {
    const t = from + s * STEP;
    const batches = [];
    for (let off = 0; off < gens.length; off += 1000) {
      const batch = gens.slice(off, off + 1000).map((g) => ({ labels: freshLabels ? { ...g.labels } : g.labels, samples: [{ t: t + jitter(rand), v: g.next() }] }));
      samples += batch.length;
      batches.push(batch);
    }
    const c0 = process.threadCpuUsage();
    const t0 = performance.now();
    await Promise.all(batches.map((batch) => store.append(USER, batch)));
    ms += performance.now() - t0;
    const cpu = process.threadCpuUsage(c0);
    cpuMs += (cpu.user + cpu.system) / 1000;
  }
  return { samples, ms, cpuMs };
}

/** Total bytes and bytes of `chunks` files below a blocks directory (ours or Prometheus's). */
function dirBytes(dir: string): { total: number; chunks: number } {
  let total = 0;
  let chunks = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const size = fs.statSync(path.join(entry.parentPath, entry.name)).size;
    total += size;
    if (entry.parentPath.endsWith("chunks") || entry.name === "chunks") chunks += size;
  }
  return { total, chunks };
}

/** Writes the same samples as OpenMetrics, lets `promtool tsdb create-blocks-from` build Prometheus blocks, and compares sizes. */
function comparePrometheus(gens: Gen[], ts: Float64Array[], vs: Float64Array[], samples: number): string {
  const file = path.join(root, "data.om");
  const fd = fs.openSync(file, "w");
  const order = gens.map((_, i) => i).sort((a, b) => (gens[a]!.labels.__name__! < gens[b]!.labels.__name__! ? -1 : 1));
  for (const g of order) {
    const { __name__: name, ...rest } = gens[g]!.labels;
    const selector = `${name}{${Object.entries(rest).map(([k, v]) => `${k}="${v}"`).join(",")}}`;
    let text = "";
    for (let i = 0; i < ts[g]!.length; i++) text += `${selector} ${String(vs[g]![i])} ${(ts[g]![i]! / 1000).toFixed(3)}\n`;
    fs.writeSync(fd, text);
  }
  fs.writeSync(fd, "# EOF\n");
  fs.closeSync(fd);
  const out = path.join(root, "prometheus");
  const result = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", "-q", file, out], { encoding: "utf8" });
  if (result.status !== 0) return `- Prometheus comparison failed: ${result.stderr || String(result.error)}`;
  const theirs = dirBytes(out);
  return (
    `- same samples through \`promtool tsdb create-blocks-from openmetrics\` (Prometheus 2h blocks, uncompacted): ` +
    `**${fmt(theirs.total / samples, 2)} bytes/sample** (chunks alone ${fmt(theirs.chunks / samples, 2)})`
  );
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const cpus = os.cpus();
  lines.push(`## Embedded TSDB (${cpus.length} × ${cpus[0]?.model ?? "cpu"}, Node ${process.version})`, "");

  // 1a. Scrape-shaped appends.
  {
    const store = open(path.join(root, "append"));
    const gens = makeSeries(SERIES);
    await scrapeAppend(store, gens, 4, START); // warm-up: series creation
    // Fresh label objects and the scrape cache's frozen ones in turn, 4 rounds of 10 scrapes each
    // (so that load from other processes falls on both alike); totals and the best round's rate.
    const totals = { fresh: { n: 0, ms: 0, cpuMs: 0, best: 0 }, frozen: { n: 0, ms: 0, cpuMs: 0, best: 0 } };
    for (let round = 0; round < 8; round++) {
      const total = round % 2 === 0 ? totals.fresh : totals.frozen;
      const { samples: n, ms, cpuMs } = await scrapeAppend(store, gens, 10, START + (4 + round * 10) * STEP, round % 2 === 0);
      total.n += n;
      total.ms += ms;
      total.cpuMs += cpuMs;
      total.best = Math.max(total.best, (n / ms) * 1000);
    }
    for (const [mode, { n, ms, cpuMs, best }] of Object.entries(totals)) {
      lines.push(
        `- append, scrape-shaped (${fmt(SERIES)} series, 1 sample each, 1000 series per call, ` +
          `${mode === "fresh" ? "fresh label objects every scrape" : "the same frozen label objects every scrape, as the scrape cache passes"}): ` +
          `**${fmt((n / ms) * 1000)} samples/s** (best round of 10 scrapes ${fmt(best)}; ` +
          `main thread CPU ${fmt((cpuMs * 1e6) / n)} ns per sample: ${fmt((n / cpuMs) * 1000)} samples per CPU second)`,
      );
    }
    // 1b. Bulk: 120 samples per series per call.
    const rand = seededRandom(3);
    const from = START + 90 * STEP; // after the 84 scrapes above
    const t1 = performance.now();
    let bulk = 0;
    for (let round = 0; round < 2; round++) {
      const calls: Array<Promise<unknown>> = [];
      for (let off = 0; off < gens.length; off += 100) {
        const batch = gens.slice(off, off + 100).map((g) => ({
          labels: g.labels,
          samples: Array.from({ length: 120 }, (_, i) => ({ t: from + (round * 120 + i) * STEP + jitter(rand), v: g.next() })),
        }));
        bulk += batch.length * 120;
        calls.push(store.append(USER, batch));
      }
      await Promise.all(calls);
    }
    const bulkMs = performance.now() - t1;
    lines.push(`- append, bulk (120 samples per series per call, 100 series per call): **${fmt((bulk / bulkMs) * 1000)} samples/s**`);
    await store.close();
  }
  if (args.appendOnly) {
    console.log(lines.join("\n"));
    return;
  }

  // 2 + 3. Bytes per sample after compaction, and a 24 h single-series read.
  {
    const dir = path.join(root, "size");
    const store = open(dir);
    const n = Math.min(SERIES, 1000);
    const gens = makeSeries(n);
    const rand = seededRandom(5);
    const scrapes = Math.floor((HOURS * HOUR) / STEP);
    // The data set, generated once so that Prometheus can be fed the very same samples.
    const ts = gens.map(() => new Float64Array(scrapes));
    const vs = gens.map(() => new Float64Array(scrapes));
    for (let i = 0; i < scrapes; i++) {
      for (let g = 0; g < n; g++) {
        ts[g]![i] = START + i * STEP + jitter(rand);
        vs[g]![i] = gens[g]!.next();
      }
    }
    const t0 = performance.now();
    for (let off = 0; off < scrapes; off += 240) {
      const count = Math.min(240, scrapes - off);
      for (let g0 = 0; g0 < n; g0 += 200) {
        const batch = [];
        for (let g = g0; g < Math.min(n, g0 + 200); g++) {
          const samples = [];
          for (let i = off; i < off + count; i++) samples.push({ t: ts[g]![i]!, v: vs[g]![i]! });
          batch.push({ labels: gens[g]!.labels, samples });
        }
        await store.append(USER, batch);
      }
      await store.maintain();
    }
    const loadMs = performance.now() - t0;
    await store.flushHead();
    const t1 = performance.now();
    await store.compact();
    const compactMs = performance.now() - t1;
    const stats = await store.stats();
    const samples = stats.samples ?? 0;
    const ours = dirBytes(path.join(dir, "blocks"));
    lines.push(
      `- on disk after ${HOURS} h × ${fmt(n)} series (${fmt(samples)} samples, ${stats.blocks} blocks after compaction): ` +
        `**${fmt(ours.total / samples, 2)} bytes/sample** for blocks (chunks alone ${fmt(ours.chunks / samples, 2)}); ` +
        `load ${fmt(loadMs / 1000, 1)} s, compaction ${fmt(compactMs / 1000, 1)} s`,
    );
    if (args.comparePrometheus) lines.push(comparePrometheus(gens, ts, vs, samples));
    await store.close();
    // Every read decodes from the block files (the decoded-chunk cache off), each a different
    // series; then the same series again and again, served from the cache.
    const readLatencies = async (reader: EmbeddedMetricStore, pick: (i: number) => Labels): Promise<{ p50: number; p99: number; samples: number }> => {
      const times: number[] = [];
      let got = 0;
      // The first reads run before V8 has optimised the read path: 30 unmeasured ones first.
      for (let i = 0; i < 330; i++) {
        const matchers = Object.entries(pick(i)).map(([name, value]) => ({ type: "=" as const, name, value }));
        const t = performance.now();
        const res = await reader.select(USER, matchers, START, START + 24 * HOUR);
        if (i >= 30) times.push(performance.now() - t);
        got = res[0]?.timestamps.length ?? 0;
      }
      times.sort((a, b) => a - b);
      const p = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
      return { p50: p(0.5), p99: p(0.99), samples: got };
    };
    const uncached = open(dir, 0);
    const cold = await readLatencies(uncached, (i) => gens[(i * 7) % n]!.labels);
    await uncached.close();
    const cached = open(dir);
    const warm = await readLatencies(cached, () => gens[6]!.labels);
    await cached.close();
    lines.push(
      `- 24 h read of one series (${fmt(cold.samples)} samples, from blocks), a different series each time, decoded from disk: p50 **${fmt(cold.p50, 3)} ms**, p99 **${fmt(cold.p99, 3)} ms**; ` +
        `the same series repeated (decoded chunks cached): p50 ${fmt(warm.p50, 3)} ms, p99 ${fmt(warm.p99, 3)} ms`,
    );
  }

  // 4. Memory with many active series.
  if (!args.skipActive) {
    const store = open(path.join(root, "active"));
    const gens = makeSeries(ACTIVE, 1000);
    const before = process.memoryUsage().rss;
    const { samples: n, ms } = await scrapeAppend(store, gens, SCRAPES, START);
    global.gc?.();
    const mem = process.memoryUsage();
    const stats = await store.stats();
    const mib = (x: number): string => fmt(x / 2 ** 20);
    lines.push(
      `- ${fmt(ACTIVE)} active series, ${SCRAPES} scrapes at 15 s in the head (${fmt(stats.headSamples ?? 0)} samples): ` +
        `**RSS ${mib(mem.rss)} MiB** (V8 heap used ${mib(mem.heapUsed)} of ${mib(mem.heapTotal)} MiB, external ${mib(mem.external)} MiB; ` +
        `RSS before this step ${mib(before)} MiB); appended at ${fmt((n / ms) * 1000)} samples/s`,
    );
    await store.close();
  }

  console.log(lines.join("\n"));
}

try {
  await main();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
