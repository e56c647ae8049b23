import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { createScrapeService, type ScrapeJob } from "#server/modules/scrape/index.ts";
import { createLogger } from "#server/platform/logger.ts";
import { createOutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";

/*
 * `node server/bench/scrape-append.bench.ts [--targets 10] [--series 1000] [--scrapes 30] [--runs 3]`:
 * the scrape service's processing of a scrape in process (parse, target labels, staleness
 * tracking, append to the embedded store with its fsync), without HTTP: `--targets` built-in
 * jobs whose source returns a node_exporter-like text body of `--series` series, scraped together
 * once per simulated 15 s interval. After two warm-up scrapes (the first creates every series),
 * reports samples/s of wall time and the main thread's CPU per sample over `--scrapes` scrapes.
 */

const { values: args } = parseArgs({
  options: {
    targets: { type: "string", default: "10" },
    series: { type: "string", default: "1000" },
    scrapes: { type: "string", default: "30" },
    runs: { type: "string", default: "3" },
  },
});
const TARGETS = Number(args.targets);
const SERIES = Number(args.series);
const SCRAPES = Number(args.scrapes);
const STEP = 15_000;

function body(scrape: number, target: number): string {
  const lines: string[] = ["# HELP node_bench_seconds_total A counter.", "# TYPE node_bench_seconds_total counter"];
  for (let i = 0; i < SERIES; i++) {
    lines.push(`node_bench_seconds_total{cpu="${i % 64}",mode="m${i >> 6}",device="dev${target}"} ${(scrape * 1.5 + i).toFixed(2)}`);
  }
  return `${lines.join("\n")}\n`;
}

async function run(): Promise<{ rate: number; cpuNs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-scrape-append-bench-"));
  let now = Date.parse("2026-01-01T00:00:00Z");
  const clock = { now: () => new Date(now) };
  const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0, clock });
  const scraper = createScrapeService({
    store,
    metadata: { recordMetadata: async () => {} },
    recordScrape: async () => {},
    outbound: createOutboundPolicy({ allow: [], deny: [] }),
    clock,
    logger: createLogger({ level: "warn", format: "json" }),
    limits: { bodyLimitBytes: 64 << 20, sampleLimit: 1_000_000, labelValueLimit: 16_384, maxActiveSeries: 100_000_000, processingConcurrency: 4 },
    userAgent: "Auspex/bench",
  });
  let scrape = 0;
  const jobs: ScrapeJob[] = Array.from({ length: TARGETS }, (_, i) => ({
    id: `bench-${i}`,
    userId: "bench",
    name: `t${i}`,
    job: "node",
    address: `host-${i}:9100`,
    scheme: "http",
    metricsPath: "/metrics",
    intervalMs: STEP,
    timeoutMs: 10_000,
    labels: { target: String(i) },
    source: async () => ({ contentType: "text/plain; version=0.0.4", body: body(scrape, i) }),
  }));
  let samples = 0;
  let ms = 0;
  let cpuUs = 0;
  for (scrape = 0; scrape < SCRAPES + 2; scrape++) {
    now += STEP;
    const c0 = process.threadCpuUsage();
    const t0 = performance.now();
    const reports = await Promise.all(jobs.map((job) => scraper.scrapeTarget(job)));
    const cpu = process.threadCpuUsage(c0);
    if (scrape < 2) continue;
    ms += performance.now() - t0;
    cpuUs += cpu.user + cpu.system;
    for (const report of reports) {
      if (!report.up) throw new Error(report.error ?? "scrape failed");
      samples += report.samples;
    }
  }
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  // Building the bodies (the source) is inside the measured time: subtract it.
  const b0 = process.threadCpuUsage();
  const w0 = performance.now();
  for (let s = 0; s < SCRAPES; s++) for (let i = 0; i < TARGETS; i++) body(s, i);
  const buildMs = performance.now() - w0;
  const build = process.threadCpuUsage(b0);
  return { rate: (samples / (ms - buildMs)) * 1000, cpuNs: ((cpuUs - build.user - build.system) * 1000) / samples };
}

const results: string[] = [];
for (let r = 0; r < Number(args.runs); r++) {
  const { rate, cpuNs } = await run();
  results.push(`${Math.round(rate).toLocaleString("en-US")} samples/s (main thread CPU ${Math.round(cpuNs)} ns a sample)`);
}
console.log(`- scrape processing in process (${TARGETS} targets × ${SERIES} series, parse + labels + staleness + append): ${results.join("; ")}`);
