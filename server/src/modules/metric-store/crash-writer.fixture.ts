/**
 * Child process for the kill -9 test: appends one sample per call to a few series, forever, and
 * prints `ack <i>` after each append resolved (i.e. after the WAL fsync). The parent kills it.
 * Usage: node crash-writer.fixture.ts <dir> <startMs>
 */
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";

const [dir, start] = process.argv.slice(2);
if (!dir || !start) throw new Error("usage: crash-writer.fixture.ts <dir> <startMs>");
const t0 = Number(start);
const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0, blockRangeMs: 60_000, clock: { now: () => new Date(t0) } });
for (let i = 0; ; i++) {
  const batch = [0, 1, 2].map((k) => ({ labels: { __name__: "crash_test", series: String(k) }, samples: [{ t: t0 + i * 1000, v: i }] }));
  const res = await store.append("crash-user", batch);
  if (res.accepted !== 3) throw new Error(`append ${i} rejected: ${JSON.stringify(res.rejections)}`);
  process.stdout.write(`ack ${i}\n`);
  // Exercise head → block cuts and WAL checkpoints while being killed.
  if (i % 97 === 0) await store.maintain();
}
