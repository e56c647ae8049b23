import { fork } from "node:child_process";
import inspector from "node:inspector/promises";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { createScrapeScheduler, createScrapeService, type ScrapeJob } from "#server/modules/scrape/index.ts";
import { hashedOffset } from "#server/platform/timers.ts";
import { createLogger } from "#server/platform/logger.ts";
import { createOutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";

/*
 * `node server/bench/scrape-schedule.bench.ts [--targets 1000] [--series 1000] [--seconds 60]
 *    [--warmup 2] [--concurrency 64] [--processing 4] [--profile out.cpuprofile]`
 * (the second half of `npm run bench:scrape`): the real scrape service and scheduler with real
 * timers, scraping `--targets` exporters of `--series` series each at a 15 s interval into the
 * embedded store. The exporters run in a child process (their CPU is not counted). After
 * `--warmup` intervals (the first creates every series), measures over `--seconds`: CPU of this process (user + system, all threads)
 * per second of wall time, and how late each scrape started against its slot. Prints markdown.
 */

const { values: args } = parseArgs({
  options: {
    targets: { type: "string", default: "1000" },
    series: { type: "string", default: "1000" },
    seconds: { type: "string", default: "60" },
    warmup: { type: "string", default: "2" },
    concurrency: { type: "string", default: "64" },
    processing: { type: "string", default: "4" },
    profile: { type: "string" },
    exporter: { type: "boolean", default: false },
  },
});
const TARGETS = Number(args.targets);
const SERIES = Number(args.series);
const INTERVAL_MS = 15_000;

/** The child: one HTTP server answering /metrics/<n> with SERIES node_exporter-like counters. */
async function runExporter(): Promise<void> {
  const http = await import("node:http");
  let scrapes = 0;
  const server = http.createServer((request, response) => {
    scrapes++;
    const lines: string[] = ["# HELP node_bench_counter_total A counter.", "# TYPE node_bench_counter_total counter"];
    for (let i = 0; i < SERIES; i++) lines.push(`node_bench_counter_total{cpu="${i % 64}",mode="m${i >> 6}"} ${scrapes * 1.5 + i}`);
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    response.end(`${lines.join("\n")}\n`);
    void request;
  });
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
  });
}

async function main(): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ["--exporter", "--series", String(SERIES)], { stdio: "inherit" });
  const port = await new Promise<number>((resolve) => child.once("message", (m: { port: number }) => resolve(m.port)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-scrape-bench-"));
  const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0 });
  const logger = createLogger({ level: "warn", format: "json" });
  const scraper = createScrapeService({
    store,
    metadata: { recordMetadata: async () => {} },
    recordScrape: async () => {},
    outbound: createOutboundPolicy({ allow: [], deny: [] }),
    clock: { now: () => new Date() },
    logger,
    limits: { bodyLimitBytes: 64 << 20, sampleLimit: 1_000_000, labelValueLimit: 16_384, maxActiveSeries: 100_000_000, processingConcurrency: Number(args.processing) },
    userAgent: "Auspex/bench",
  });
  const jobs: ScrapeJob[] = Array.from({ length: TARGETS }, (_, i) => ({
    id: `bench-${i}`,
    userId: "bench",
    name: `t${i}`,
    job: "node",
    address: `127.0.0.1:${port}`,
    scheme: "http",
    metricsPath: `/metrics/${i}`,
    intervalMs: INTERVAL_MS,
    timeoutMs: 10_000,
    labels: { target: String(i) },
  }));
  let measuring = false;
  const lateness: number[] = [];
  let failures = 0;
  let samples = 0;
  const timed = {
    scrapeTarget: async (job: ScrapeJob) => {
      // Its slots are offset + k × interval: how far past the last slot it started (waiting for a
      // concurrency slot included).
      const started = Date.now();
      const sinceSlot = (((started - hashedOffset(job.id, job.intervalMs)) % INTERVAL_MS) + INTERVAL_MS) % INTERVAL_MS;
      // A timer may fire a millisecond early: that is just before the next slot, not a late one.
      if (measuring) lateness.push(sinceSlot > INTERVAL_MS / 2 ? sinceSlot - INTERVAL_MS : sinceSlot);
      const report = await scraper.scrapeTarget(job);
      if (measuring) {
        if (!report.up) failures++;
        samples += report.samples;
      }
      return report;
    },
    forgetTarget: (id: string) => scraper.forgetTarget(id),
  };
  const scheduler = createScrapeScheduler({ listTargets: async () => jobs, scraper: timed, logger, maxConcurrent: Number(args.concurrency) });
  await scheduler.sync();
  // Warm-up: the first scrapes create every series; later ones are the steady state measured.
  await new Promise((resolve) => setTimeout(resolve, Number(args.warmup) * INTERVAL_MS + 1000));

  const session = args.profile === undefined ? undefined : new inspector.Session();
  if (session) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  measuring = true;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, Number(args.seconds) * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallSeconds = (performance.now() - wall0) / 1000;
  measuring = false;
  if (session && args.profile !== undefined) {
    const { profile } = await session.post("Profiler.stop");
    fs.writeFileSync(args.profile, JSON.stringify(profile));
    session.disconnect();
  }
  await scheduler.close();
  child.kill();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });

  lateness.sort((a, b) => a - b);
  const pct = (q: number): number => lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))] ?? NaN;
  const cores = (cpu.user + cpu.system) / 1e6 / wallSeconds;
  const expected = (TARGETS * wallSeconds * 1000) / INTERVAL_MS;
  process.stdout.write(
    [
      `## Scrape schedule (${os.cpus().length} × ${os.cpus()[0]?.model.split(" ").slice(0, 2).join(" ")}, Node ${process.version})`,
      "",
      `- ${TARGETS.toLocaleString("en-US")} targets × ${SERIES.toLocaleString("en-US")} series every 15 s into the embedded store, measured over ${wallSeconds.toFixed(0)} s after ${args.warmup} warm-up intervals: ` +
        `**${cores.toFixed(2)} cores** (CPU time of the Auspex process per wall second; the exporters run in another process)`,
      `- scrapes: ${lateness.length.toLocaleString("en-US")} started (${expected.toFixed(0)} due), ${failures} failed, ${Math.round(samples / wallSeconds).toLocaleString("en-US")} samples/s; ` +
        `start after its slot: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${lateness.at(-1)} ms`,
      "",
    ].join("\n"),
  );
}

if (args.exporter) await runExporter();
else await main();
