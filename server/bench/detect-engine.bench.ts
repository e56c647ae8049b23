import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createAnomaliesModule } from "#server/modules/anomalies/index.ts";
import { createDetectionEngine, createDetectorStatesRepository } from "#server/modules/detection/index.ts";
import { createEmbeddedMetricStore, withAppendObserver } from "#server/modules/metric-store/index.ts";
import { createLogger } from "#server/platform/logger.ts";
import { createMetrics } from "#server/platform/metrics.ts";
import { openDatabase } from "#server/storage/database.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * `node server/bench/detect-engine.bench.ts [--series 20000] [--minutes 60]` (the second half of
 * `npm run bench:detect`): the streaming engine end to end — the embedded store, its append
 * observer, the queue, the detectors, the output series and the anomaly records in SQLite —
 * fed scrape-shaped batches (1,000 series a batch, every series every 15 s of data time) as fast
 * as the store takes them, with a spike on 1% of the series at the end. Reports the time from a
 * batch being stored to its scores and records being written (auspex_detection_lag_seconds), and
 * throughput. Prints markdown.
 */

const { values: args } = parseArgs({ options: { series: { type: "string", default: "20000" }, minutes: { type: "string", default: "60" } } });
const SERIES = Number(args.series);
const SCRAPES = (Number(args.minutes) * 60_000) / 15_000;
const STEP = 15_000;
const T0 = Date.parse("2026-06-01T00:00:00Z");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-detect-engine-"));
const clock = { now: () => new Date(T0 + 86_400_000) };
const store = createEmbeddedMetricStore({ dir: path.join(dir, "tsdb"), maintenanceIntervalMs: 0, clock });
const database = await openDatabase({ kind: "sqlite", path: path.join(dir, "auspex.db") }, { busyTimeoutMs: 5000 });
const userId = "bench-user";
await database.db
  .insertInto("users")
  .values({ id: userId, username: "bench", email: "bench@example.com", password_hash: "x", display_name: null, time_zone: "UTC", created_at: new Date(T0).toISOString(), updated_at: new Date(T0).toISOString() })
  .execute();
const metrics = createMetrics();
const engine = createDetectionEngine({
  store,
  anomalies: createAnomaliesModule({ db: database.db, clock }),
  states: createDetectorStatesRepository(database.db),
  clock,
  logger: createLogger({ level: "warn", format: "json" }),
  settings: { detector: {}, episode: { openAfter: 2, closeAfter: 4 }, maxQueuedSamples: 100_000_000 },
  metrics,
});
const observed = withAppendObserver(store, (user, batch) => engine.observe(user, batch));

try {
  const rand = seededRandom(9);
  const bases = Array.from({ length: SERIES }, () => 10 + 90 * rand());
  const started = performance.now();
  let samples = 0;
  for (let s = 0; s < SCRAPES + 3; s++) {
    const spiking = s >= SCRAPES;
    for (let from = 0; from < SERIES; from += 1000) {
      const batch = [];
      for (let i = from; i < Math.min(SERIES, from + 1000); i++) {
        const base = bases[i]!;
        const v = spiking && i % 100 === 0 ? base * 5 : base * (1 + 0.05 * Math.sin(s / 20 + i)) + rand();
        batch.push({ labels: { __name__: "bench_gauge", instance: `host-${i % 500}`, series: String(i) }, samples: [{ t: T0 + s * STEP, v }] });
      }
      await observed.append(userId, batch);
      samples += batch.length;
    }
  }
  await engine.idle();
  const seconds = (performance.now() - started) / 1000;
  const lag = (await metrics.detection.lag.get()).values;
  const count = lag.find((v) => v.metricName === "auspex_detection_lag_seconds_count")?.value ?? 0;
  const buckets = lag.filter((v) => v.metricName === "auspex_detection_lag_seconds_bucket");
  const upTo = (q: number): string => {
    const bucket = buckets.find((b) => b.value >= q * count);
    return bucket ? `≤ ${String(bucket.labels.le)} s` : "?";
  };
  const records = await database.db.selectFrom("anomalies").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirst();
  process.stdout.write(
    [
      `## Detection engine (${os.cpus().length} × ${os.cpus()[0]?.model.split(" ").slice(0, 2).join(" ")}, Node ${process.version})`,
      "",
      `- ${SERIES.toLocaleString("en-US")} series × ${SCRAPES + 3} scrapes (${samples.toLocaleString("en-US")} samples, stored and scored as fast as the store takes them) in ${seconds.toFixed(1)} s: ` +
        `**${Math.round(samples / seconds).toLocaleString("en-US")} samples/s** end to end (store, detection, output series, records)`,
      `- stored → scored and recorded: p50 ${upTo(0.5)}, p99 **${upTo(0.99)}** over ${count.toLocaleString("en-US")} batches; ${Number(records?.n ?? 0).toLocaleString("en-US")} anomaly records opened`,
      "",
    ].join("\n"),
  );
} finally {
  await store.close();
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
