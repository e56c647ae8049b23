import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { type EmbeddedMetricStore, createEmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { isStaleNaN, STALE_NAN } from "#server/platform/staleness.ts";
import { seededRandom } from "#test/support/random.ts";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const STEP = 15_000;

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-series-cache-"));
const stores: EmbeddedMetricStore[] = [];
after(async () => {
  for (const s of stores) await s.close().catch(() => {});
  fs.rmSync(tmpRoot, { recursive: true, force: true });
});

function openStore(name: string, decodedChunkCacheBytes?: number, outOfOrderWindowMs = 0): EmbeddedMetricStore {
  const store = createEmbeddedMetricStore({
    dir: path.join(tmpRoot, name),
    maintenanceIntervalMs: 0,
    retentionMs: 365 * 24 * HOUR,
    outOfOrderWindowMs,
    blockRangeMs: HOUR,
    clock: { now: () => new Date(T0 + 48 * HOUR) },
    ...(decodedChunkCacheBytes === undefined ? {} : { decodedChunkCacheBytes }),
  });
  stores.push(store);
  return store;
}

describe("decoded series cache (through the embedded store)", () => {
  it("reads what an uncached store reads while the head grows, closes chunks and is cut into blocks, and never changes an answer already given", async () => {
    const rand = seededRandom(3);
    const cached = openStore("cached");
    const plain = openStore("plain", 0);
    const labels = [
      { __name__: "c_total", instance: "a" },
      { __name__: "c_total", instance: "b" },
    ];
    const given: Array<{ timestamps: Float64Array; values: Float64Array; t: number[]; v: number[] }> = [];
    let next = 0;
    for (let round = 0; round < 60; round++) {
      // A few scrapes (some rounds write none), sometimes a series skips a scrape.
      const scrapes = Math.floor(rand() * 40);
      for (let k = 0; k < scrapes; k++, next++) {
        const batch = labels.filter(() => rand() < 0.9).map((l) => ({ labels: l, samples: [{ t: T0 + next * STEP, v: next * 2.5 + (rand() < 0.05 ? Number.NaN : 0) }] }));
        await cached.append("u", batch);
        await plain.append("u", batch);
      }
      // Old head data cut into blocks (the series keep their newer chunks), or the whole head.
      if (round % 7 === 6) {
        await cached.maintain();
        await plain.maintain();
      }
      if (round % 23 === 22) {
        await cached.flushHead();
        await plain.flushHead();
      }
      const newest = T0 + next * STEP;
      const ranges: Array<[number, number]> = [
        [newest - HOUR, newest],
        [newest - 3 * HOUR, newest - HOUR],
        [T0 + Math.floor(rand() * next) * STEP - 1, newest + STEP],
        [-Infinity, Infinity],
        [newest - 10 * 60_000, newest],
      ];
      // In random order: a read may need older chunks than the series' columns start with.
      ranges.sort(() => rand() - 0.5);
      for (const [mint, maxt] of ranges) {
        const a = await cached.select("u", [], mint, maxt);
        const b = await plain.select("u", [], mint, maxt);
        assert.equal(a.length, b.length);
        for (let i = 0; i < a.length; i++) {
          assert.deepEqual(a[i]!.labels, b[i]!.labels);
          assert.deepEqual(Array.from(a[i]!.timestamps), Array.from(b[i]!.timestamps), `round ${round} range ${mint}..${maxt}`);
          assert.deepEqual(Array.from(new Uint32Array(a[i]!.values.slice().buffer)), Array.from(new Uint32Array(b[i]!.values.slice().buffer)));
          if (a[i]!.withoutNaN === true) assert.ok(!a[i]!.values.some(Number.isNaN), "a read said to hold no NaN holds one");
          given.push({ timestamps: a[i]!.timestamps, values: a[i]!.values, t: Array.from(a[i]!.timestamps), v: Array.from(new Uint32Array(a[i]!.values.slice().buffer)) });
        }
      }
    }
    // Answers handed out earlier are views: later reads and appends must not have changed them.
    for (const g of given) {
      assert.deepEqual(Array.from(g.timestamps), g.t);
      assert.deepEqual(Array.from(new Uint32Array(g.values.slice().buffer)), g.v);
    }
  });

  it("says when a read holds no NaN (so no staleness marker), and stops saying so once one arrives", async () => {
    const store = openStore("nan-flag");
    const l = { __name__: "up", instance: "x" };
    await store.append("u", [{ labels: l, samples: Array.from({ length: 300 }, (_, i) => ({ t: T0 + i * STEP, v: 1 })) }]);
    const read = async () => (await store.select("u", [], T0, T0 + 400 * STEP))[0]!;
    assert.equal((await read()).withoutNaN, false, "a first read decodes on its own and does not know");
    assert.equal((await read()).withoutNaN, true, "the cached columns were scanned once");
    assert.equal((await read()).withoutNaN, true);
    await store.append("u", [{ labels: l, samples: [{ t: T0 + 300 * STEP, v: STALE_NAN }] }]);
    const after = await read();
    assert.equal(after.withoutNaN, false);
    assert.ok(isStaleNaN(after.values[300]!));
    // Closing the open chunk keeps the count: the marker is still there.
    await store.append("u", [{ labels: l, samples: Array.from({ length: 150 }, (_, i) => ({ t: T0 + (301 + i) * STEP, v: 1 })) }]);
    assert.equal((await store.select("u", [], T0, T0 + 500 * STEP))[0]!.withoutNaN, false);
  });

  it("merges out-of-order samples as before (such series are read the long way)", async () => {
    const cached = openStore("ooo-cached", undefined, HOUR);
    const plain = openStore("ooo-plain", 0, HOUR);
    const l = { __name__: "g", instance: "x" };
    for (const store of [cached, plain]) {
      await store.append("u", [{ labels: l, samples: Array.from({ length: 200 }, (_, i) => ({ t: T0 + i * 2 * STEP, v: i })) }]);
    }
    for (let round = 0; round < 3; round++) {
      const a = await cached.select("u", [], T0, T0 + 1000 * STEP);
      const b = await plain.select("u", [], T0, T0 + 1000 * STEP);
      assert.deepEqual(Array.from(a[0]!.timestamps), Array.from(b[0]!.timestamps));
      for (const store of [cached, plain]) await store.append("u", [{ labels: l, samples: [{ t: T0 + (390 - 2 * round) * STEP + STEP, v: -1 }] }]);
    }
    const a = await cached.select("u", [], T0, T0 + 1000 * STEP);
    const b = await plain.select("u", [], T0, T0 + 1000 * STEP);
    assert.deepEqual(Array.from(a[0]!.timestamps), Array.from(b[0]!.timestamps));
    assert.deepEqual(Array.from(a[0]!.values), Array.from(b[0]!.values));
  });
});
