import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sp-"));
const store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0, clock: { now: () => new Date(Date.parse("2026-01-02T00:00:00Z")) } });
const START = Date.parse("2026-01-01T00:00:00Z");
const N = 10000;
const labels = Array.from({ length: N }, (_, i) => ({ __name__: `node_metric_${i % 10}_${Math.floor(i / 10) % 100}`, cpu: String(Math.floor(i / 1000)), instance: `host-${i % 50}:9100`, job: "node" }));
let gen = 0, sync = 0, total = 0;
const t0 = performance.now();
for (let s = 0; s < 60; s++) {
  const calls = [];
  for (let off = 0; off < N; off += 1000) {
    const a = performance.now();
    const batch = [];
    for (let i = off; i < off + 1000; i++) batch.push({ labels: { ...labels[i]! }, samples: [{ t: START + s * 15000, v: i + s }] });
    const b = performance.now();
    calls.push(store.append("u", batch));
    const c = performance.now();
    gen += b - a; sync += c - b;
  }
  await Promise.all(calls);
  total += N;
}
const ms = performance.now() - t0;
console.log({ rate: Math.round(total / ms * 1000), gen: Math.round(gen), sync: Math.round(sync), ms: Math.round(ms), syncRate: Math.round(total / sync * 1000) });
await store.close();
fs.rmSync(dir, { recursive: true });
