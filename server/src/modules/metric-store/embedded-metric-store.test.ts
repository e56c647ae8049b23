import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import {
  type EmbeddedMetricStore,
  type EmbeddedMetricStoreOptions,
  type Labels,
  createEmbeddedMetricStore,
} from "#server/modules/metric-store/index.ts";
import { hashLabels } from "#server/modules/metric-store/labels.ts";
import { Wal } from "#server/modules/metric-store/wal.ts";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-01-01T00:00:00Z");
const STALE_NAN = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]!;
// Note: V8 quiets signaling NaNs (the staleness marker is one) stored in plain JS arrays, so the
// values below live in a Float64Array and reach the store through object properties only.
const scratch = new Float64Array(1);
const bitsOf = (v: number): number[] => {
  scratch[0] = v;
  return Array.from(new Uint32Array(scratch.buffer));
};

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-tsdb-"));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(tmpRoot, `db-${counter++}`);

function clockAt(ms: number) {
  let now = ms;
  return { now: () => new Date(now), set: (t: number) => (now = t) };
}

const open: EmbeddedMetricStore[] = [];
after(async () => {
  for (const s of open) await s.close().catch(() => {});
});

function openStore(options: Partial<EmbeddedMetricStoreOptions> & { dir: string }): EmbeddedMetricStore {
  const store = createEmbeddedMetricStore({ maintenanceIntervalMs: 0, clock: clockAt(T0 + 24 * HOUR), ...options });
  open.push(store);
  return store;
}

/** Copies a live data directory as a crash would leave it (the original instance is abandoned). */
function crashCopy(dir: string): string {
  const copy = freshDir();
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

const up = (instance: string): Labels => ({ __name__: "up", job: "node", instance });

async function fill(store: EmbeddedMetricStore, user: string, labels: Labels, from: number, count: number, step = 15_000, value = (i: number) => i): Promise<void> {
  const samples = Array.from({ length: count }, (_, i) => ({ t: from + i * step, v: value(i) }));
  const res = await store.append(user, [{ labels, samples }]);
  assert.equal(res.rejected, 0, JSON.stringify(res.rejections));
}

async function readAll(store: EmbeddedMetricStore, user: string, labels: Labels): Promise<{ t: number[]; v: number[] }> {
  const matchers = Object.entries(labels).map(([name, value]) => ({ type: "=" as const, name, value }));
  const [series, ...rest] = await store.select(user, matchers, -Infinity, Infinity);
  assert.equal(rest.length, 0);
  return { t: Array.from(series?.timestamps ?? []), v: Array.from(series?.values ?? []) };
}

describe("embedded metric store", () => {
  it("appends and selects by matchers and time range", async () => {
    const store = openStore({ dir: freshDir() });
    await fill(store, "u1", up("a"), T0, 500);
    await fill(store, "u1", up("b"), T0, 10, 15_000, () => 1);
    await fill(store, "u1", { __name__: "load", instance: "a" }, T0, 10);
    const res = await store.select("u1", [{ type: "=", name: "__name__", value: "up" }, { type: "=~", name: "instance", value: "a|b" }], T0 + 15_000, T0 + 45_000);
    assert.deepEqual(res.map((s) => s.labels), [up("a"), up("b")]);
    assert.deepEqual(Array.from(res[0]!.timestamps), [T0 + 15_000, T0 + 30_000, T0 + 45_000]);
    assert.deepEqual(Array.from(res[0]!.values), [1, 2, 3]);
    const all = await readAll(store, "u1", up("a"));
    assert.equal(all.t.length, 500);
    assert.deepEqual(await store.series("u1", [[{ type: "=", name: "instance", value: "a" }]], -Infinity, Infinity), [
      { __name__: "load", instance: "a" },
      up("a"),
    ]);
    assert.deepEqual(await store.labelNames("u1", [], -Infinity, Infinity), ["__name__", "instance", "job"]);
    assert.deepEqual(await store.labelValues("u1", "instance", [[{ type: "=", name: "__name__", value: "up" }]], -Infinity, Infinity), ["a", "b"]);
    assert.deepEqual(await store.labelValues("u1", "instance", [], T0 + 200 * 15_000, Infinity), ["a"]);
    const stats = await store.stats();
    assert.equal(stats.series, 3);
    assert.equal(stats.samples, 520);
    // The same series given with labels in another order (or with empty labels) is the same series.
    await store.append("u1", [{ labels: { job: "node", instance: "b", __name__: "up", empty: "" }, samples: [{ t: T0 + 10 * 15_000, v: 1 }] }]);
    assert.equal((await store.stats()).series, 3);
    assert.equal((await readAll(store, "u1", up("b"))).t.length, 11);
  });

  it("keeps series apart when their label hashes collide", async () => {
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const h = hashLabels({ __name__: "m", id: String(i) });
      const other = seen.get(h);
      if (other !== undefined) pair = [other, String(i)];
      else seen.set(h, String(i));
    }
    const store = openStore({ dir: freshDir() });
    for (let round = 0; round < 3; round++) {
      const res = await store.append("u1", pair.map((id, k) => ({ labels: { __name__: "m", id }, samples: [{ t: T0 + round * 1000, v: k }] })));
      assert.equal(res.accepted, 2);
    }
    const out = await store.select("u1", [], -Infinity, Infinity);
    assert.deepEqual(out.map((s) => [s.labels.id, Array.from(s.values)]).sort(), [
      [pair[0], [0, 0, 0]],
      [pair[1], [1, 1, 1]],
    ].sort());
  });

  it("finds the right series whatever the batch order, and for frozen label objects reused across users and deletions", async () => {
    const store = openStore({ dir: freshDir() });
    const a = { __name__: "m", id: "a" };
    const b = { __name__: "m", id: "b" };
    const c = { __name__: "m", id: "c" };
    const frozen = Object.freeze({ __name__: "m", id: "f" });
    const orders = [[a, b, c, frozen], [a, b, c, frozen], [a, c, b, frozen], [frozen, { ...b, extra: "" }, a], [a, { ...b, id: "b2" }, c]];
    for (const [round, order] of orders.entries()) {
      await store.append("u1", order.map((labels) => ({ labels, samples: [{ t: T0 + round * 1000, v: round }] })));
    }
    // The same frozen object for another user names that user's own series.
    await store.append("u2", [{ labels: frozen, samples: [{ t: T0, v: 42 }] }]);
    const byId = async (user: string) => Object.fromEntries((await store.select(user, [], -Infinity, Infinity)).map((s) => [s.labels.id, Array.from(s.values)]));
    assert.deepEqual(await byId("u1"), { a: [0, 1, 2, 3, 4], b: [0, 1, 2, 3], b2: [4], c: [0, 1, 2, 4], f: [0, 1, 2, 3] });
    assert.deepEqual(await byId("u2"), { f: [42] });
    // After the user is deleted, the frozen object creates a new series.
    await store.deleteUser("u2");
    await store.append("u2", [{ labels: frozen, samples: [{ t: T0 + 5000, v: 7 }] }]);
    assert.deepEqual(await byId("u2"), { f: [7] });
    assert.deepEqual((await byId("u1")).f, [0, 1, 2, 3]);
  });

  it("isolates users: no query reaches another user's series", async () => {
    const store = openStore({ dir: freshDir() });
    await fill(store, "alice", up("a"), T0, 5);
    await fill(store, "bob", up("a"), T0, 5, 15_000, () => 42);
    const bob = await store.select("bob", [{ type: "=~", name: "__name__", value: ".*" }], -Infinity, Infinity);
    assert.equal(bob.length, 1);
    assert.deepEqual(Array.from(bob[0]!.values), [42, 42, 42, 42, 42]);
    assert.deepEqual(await store.select("carol", [], -Infinity, Infinity), []);
    assert.deepEqual(await store.series("carol", [], -Infinity, Infinity), []);
    await store.flushHead();
    const bobAfter = await store.select("bob", [], -Infinity, Infinity);
    assert.deepEqual(Array.from(bobAfter[0]!.values), [42, 42, 42, 42, 42]);
    assert.deepEqual(await store.labelValues("carol", "instance", [], -Infinity, Infinity), []);
  });

  it("answers repeated reads of blocks and head from decoded chunks exactly as from disk", async () => {
    const dir = freshDir();
    const store = openStore({ dir });
    const wave = (i: number): number => Math.sin(i / 7) * 1000 + i / 3;
    await fill(store, "u1", up("a"), T0, 700, 15_000, wave);
    await store.flushHead();
    await fill(store, "u1", up("a"), T0 + 700 * 15_000, 300, 15_000, wave);
    const uncached = openStore({ dir: crashCopy(dir), decodedChunkCacheBytes: 0 });
    const ranges: Array<[number, number]> = [
      [-Infinity, Infinity],
      [T0 + 100 * 15_000 + 1, T0 + 900 * 15_000 - 1],
      [T0 + 650 * 15_000, T0 + 750 * 15_000],
      [T0 + 100 * 15_000 + 1, T0 + 900 * 15_000 - 1],
    ];
    for (const [mint, maxt] of ranges) {
      const [cached] = await store.select("u1", [], mint, maxt);
      const [plain] = await uncached.select("u1", [], mint, maxt);
      assert.ok(cached && plain && plain.timestamps.length > 0);
      assert.deepEqual(Array.from(cached.timestamps), Array.from(plain.timestamps));
      assert.deepEqual(Array.from(cached.values), Array.from(plain.values));
    }
  });

  it("round-trips staleness markers, NaN and infinities bit-exactly", async () => {
    const dir = freshDir();
    const store = openStore({ dir });
    const values = new Float64Array(7);
    values.set([1, 0, NaN, Infinity, -Infinity, -0, 2]);
    values[1] = STALE_NAN;
    const samples = [];
    for (let i = 0; i < values.length; i++) samples.push({ t: T0 + i * 15_000, v: values[i]! });
    assert.equal((await store.append("u1", [{ labels: up("a"), samples }])).accepted, 7);
    const expected = new Uint32Array(values.buffer);
    const check = async (s: EmbeddedMetricStore): Promise<void> => {
      const [series] = await s.select("u1", [], -Infinity, Infinity);
      assert.deepEqual(new Uint32Array(series!.values.buffer, series!.values.byteOffset, series!.values.length * 2), expected);
      assert.deepEqual(bitsOf(series!.values[1]!), [2, 0x7ff00000]);
    };
    await check(store);
    await check(openStore({ dir: crashCopy(dir) }));
    await store.flushHead();
    await check(store);
  });

  it("accepts out-of-order samples inside the window and rejects older ones and conflicting duplicates", async () => {
    const store = openStore({ dir: freshDir(), outOfOrderWindowMs: 10 * 60_000 });
    await fill(store, "u1", up("a"), T0, 100); // up to T0 + 99*15s
    const newest = T0 + 99 * 15_000;
    const res = await store.append("u1", [
      {
        labels: up("a"),
        samples: [
          { t: newest - 7_500, v: -1 }, // OOO, inside the window
          { t: newest - 11 * 60_000, v: -2 }, // too old
          { t: newest, v: 99 }, // exact duplicate: accepted, no-op
          { t: newest, v: 5 }, // conflicting duplicate
          { t: newest - 7_500, v: -1 }, // same OOO sample again
          { t: newest - 7_500, v: -3 }, // conflicting OOO duplicate
        ],
      },
    ]);
    assert.equal(res.accepted, 3);
    assert.equal(res.rejected, 3);
    assert.deepEqual(
      res.rejections.map((r) => [r.reason, r.rejected]).sort(),
      [
        ["duplicate sample for timestamp", 2],
        ["sample too old: out of order window is 10m", 1],
      ],
    );
    const { t, v } = await readAll(store, "u1", up("a"));
    assert.equal(t.length, 101);
    assert.deepEqual(t.slice(-3), [newest - 15_000, newest - 7_500, newest]);
    assert.deepEqual(v.slice(-3), [98, -1, 99]);
    for (let i = 1; i < t.length; i++) assert.ok(t[i]! > t[i - 1]!);
    const strict = openStore({ dir: freshDir() });
    await fill(strict, "u1", up("a"), T0, 2);
    const r2 = await strict.append("u1", [{ labels: up("a"), samples: [{ t: T0 + 15_000, v: 7 }, { t: T0 - 1, v: 0 }] }]);
    assert.deepEqual(r2.rejections.map((r) => r.reason).sort(), ["duplicate sample for timestamp", "sample too old: out of order window is 0s"]);
  });

  it("rejects invalid series and timestamps per series", async () => {
    const store = openStore({ dir: freshDir() });
    const res = await store.append("u1", [
      { labels: {}, samples: [{ t: T0, v: 1 }] },
      { labels: up("a"), samples: [{ t: 1.5, v: 1 }, { t: T0 - 30 * 24 * HOUR, v: 1 }, { t: T0, v: 1 }, { t: T0 + 26 * HOUR, v: 1 }] },
    ]);
    assert.equal(res.accepted, 1);
    assert.equal(res.rejected, 4);
    assert.deepEqual(res.rejections.map((r) => r.reason), [
      "series without labels",
      "invalid timestamp: not an integer number of milliseconds",
      "sample too old: older than the retention period of 15d",
      "sample too far in the future: more than 1h ahead of the server clock",
    ]);
  });

  it("survives a crash: every acknowledged sample is replayed from the WAL, concurrent appends included", async () => {
    const dir = freshDir();
    const store = openStore({ dir, outOfOrderWindowMs: HOUR });
    const appends = [];
    for (let i = 0; i < 40; i++) {
      appends.push(store.append(`user-${i % 3}`, [{ labels: up(`i${i}`), samples: [{ t: T0 + i, v: i }, { t: T0 + 1000 + i, v: i * 2 }] }]));
    }
    appends.push(store.append("user-0", [{ labels: up("i0"), samples: [{ t: T0 - 5, v: -5 }] }])); // out of order
    const results = await Promise.all(appends);
    assert.ok(results.every((r) => r.rejected === 0));
    const copy = crashCopy(dir); // no close(): as after kill -9
    const reopened = openStore({ dir: copy, outOfOrderWindowMs: HOUR });
    for (let i = 0; i < 40; i++) {
      const { t, v } = await readAll(reopened, `user-${i % 3}`, up(`i${i}`));
      const expected = i === 0 ? [T0 - 5, T0, T0 + 1000] : [T0 + i, T0 + 1000 + i];
      assert.deepEqual(t, expected);
      assert.deepEqual(v, i === 0 ? [-5, 0, 0] : [i, i * 2]);
    }
    // The reopened store keeps appending to the same series.
    await fill(reopened, "user-1", up("i1"), T0 + 2000, 1);
    assert.equal((await readAll(reopened, "user-1", up("i1"))).t.length, 3);
    assert.equal((await reopened.stats()).series, 40);
  });

  it("never mixes series when a WAL ref is redefined (damaged log)", async () => {
    const dir = freshDir();
    const noop = { series() {}, sample() {}, deleteUser() {}, chunk() {} };
    const { wal } = Wal.open(path.join(dir, "wal"), noop);
    wal.records.series(1, "alice", up("a"));
    wal.records.samples(1, [1], [T0], [1], [0]);
    wal.records.series(1, "bob", up("b"));
    wal.records.samples(1, [1], [T0 + 1000], [2], [0]);
    await wal.close();
    const store = openStore({ dir });
    const alice = await store.select("alice", [], -Infinity, Infinity);
    const bob = await store.select("bob", [], -Infinity, Infinity);
    assert.deepEqual(alice.map((s) => [s.labels, Array.from(s.timestamps)]), [[up("a"), [T0]]]);
    assert.deepEqual(bob.map((s) => [s.labels, Array.from(s.timestamps)]), [[up("b"), [T0 + 1000]]]);
    // New series never reuse a ref seen in the log.
    await fill(store, "carol", up("c"), T0, 1);
    assert.equal((await store.stats()).headSeries, 3);
  });

  it("tolerates a torn last WAL record", async () => {
    const dir = freshDir();
    const store = openStore({ dir });
    await fill(store, "u1", up("a"), T0, 10);
    const copy = crashCopy(dir);
    const walDir = path.join(copy, "wal");
    const last = fs.readdirSync(walDir).filter((n) => /^\d{8}$/.test(n)).sort().at(-1)!;
    fs.appendFileSync(path.join(walDir, last), Buffer.from([50, 0, 0, 0, 9, 9, 9, 9, 2, 1]));
    const reopened = openStore({ dir: copy });
    assert.equal(reopened.walReplay.repaired, true);
    assert.equal((await readAll(reopened, "u1", up("a"))).t.length, 10);
  });

  it("cuts the head into blocks, checkpoints the WAL, and reads across blocks and head", async () => {
    const dir = freshDir();
    const store = openStore({ dir, outOfOrderWindowMs: HOUR });
    // 5 hours of 15 s data for 3 series.
    for (const inst of ["a", "b", "c"]) await fill(store, "u1", up(inst), T0, 1200, 15_000, (i) => i % 7);
    await store.maintain();
    let stats = await store.stats();
    assert.ok(stats.blocks! >= 1, `blocks ${stats.blocks}`);
    assert.ok(stats.headSamples! < 3 * 1200);
    assert.equal(stats.samples, 3 * 1200);
    const walFiles = fs.readdirSync(path.join(dir, "wal"));
    assert.ok(walFiles.some((n) => n.startsWith("checkpoint.")), walFiles.join(","));
    const check = async (s: EmbeddedMetricStore): Promise<void> => {
      const { t, v } = await readAll(s, "u1", up("b"));
      assert.equal(t.length, 1200);
      assert.deepEqual(t.slice(0, 3), [T0, T0 + 15_000, T0 + 30_000]);
      assert.equal(v[1199], 1199 % 7);
      const window = await s.select("u1", [{ type: "=", name: "instance", value: "c" }], T0 + 2 * HOUR - 15_000, T0 + 2 * HOUR + 15_000);
      assert.deepEqual(Array.from(window[0]!.timestamps), [T0 + 2 * HOUR - 15_000, T0 + 2 * HOUR, T0 + 2 * HOUR + 15_000]);
    };
    await check(store);
    // Crash after the checkpoint: replay = checkpoint + newer segments, plus the blocks.
    await fill(store, "u1", up("a"), T0 + 1200 * 15_000, 4);
    const copy = crashCopy(dir);
    const reopened = openStore({ dir: copy, outOfOrderWindowMs: HOUR });
    await check(reopened);
    assert.equal((await readAll(reopened, "u1", up("a"))).t.length, 1204);
    // Out-of-order data that lands in an already persisted range is merged at read and by compaction.
    const res = await reopened.append("u1", [{ labels: up("a"), samples: [{ t: T0 + 1203 * 15_000 - 20 * 60_000 + 1, v: 0.5 }] }]);
    assert.equal(res.accepted, 1);
    await reopened.flushHead();
    await reopened.compact();
    stats = await reopened.stats();
    assert.equal(stats.samples, 3 * 1200 + 5);
    assert.equal((await readAll(reopened, "u1", up("a"))).t.length, 1205);
  });

  it("compacts adjacent blocks into larger ones and keeps every sample", async () => {
    const dir = freshDir();
    const clock = clockAt(T0 + 24 * HOUR);
    const store = openStore({ dir, clock });
    for (let h = 0; h < 12; h++) {
      for (const inst of ["a", "b"]) await fill(store, "u1", up(inst), T0 + h * HOUR, 240, 15_000, (i) => h * 1000 + i);
      await store.maintain();
    }
    await store.flushHead();
    const initial = await store.stats();
    await store.compact();
    const compacted = await store.stats();
    assert.ok(compacted.blocks! < initial.blocks!, `${initial.blocks!} -> ${compacted.blocks!}`);
    assert.equal(compacted.samples, 2 * 12 * 240);
    const { t, v } = await readAll(store, "u1", up("b"));
    assert.equal(t.length, 12 * 240);
    assert.equal(v[240 * 5 + 3], 5003);
    // Reopen from disk (clean close this time) and read again.
    await store.close();
    const reopened = openStore({ dir, clock });
    assert.equal((await readAll(reopened, "u1", up("a"))).t.length, 12 * 240);
    assert.equal((await reopened.stats()).blocks, compacted.blocks);
    // A bit per sample budget: regular data compresses well.
    assert.ok(compacted.bytesOnDisk! / compacted.samples < 4, `bytes/sample ${compacted.bytesOnDisk! / compacted.samples}`);
  });

  it("applies retention by age and by size", async () => {
    const dir = freshDir();
    const clock = clockAt(T0 + 8 * HOUR);
    const store = openStore({ dir, clock, retentionMs: 20 * HOUR });
    for (let h = 0; h < 8; h += 2) {
      await fill(store, "u1", up("a"), T0 + h * HOUR, 480);
      await store.flushHead();
    }
    assert.equal((await store.stats()).blocks, 4);
    await store.applyRetention(T0 + 24 * HOUR); // keeps blocks ending after T0 + 4h
    let { t } = await readAll(store, "u1", up("a"));
    assert.equal(t[0], T0 + 4 * HOUR);
    assert.equal((await store.stats()).blocks, 2);

    const sized = openStore({ dir: freshDir(), clock, retentionBytes: 1 });
    for (let h = 0; h < 6; h += 2) {
      await fill(sized, "u1", up("a"), T0 + h * HOUR, 480);
      await sized.flushHead();
    }
    await sized.applyRetention(T0 + 24 * HOUR);
    assert.equal((await sized.stats()).blocks, 0);
    ({ t } = await readAll(sized, "u1", up("a")));
    assert.equal(t.length, 0);
  });

  it("deletes a user from head, blocks and the WAL replay", async () => {
    const dir = freshDir();
    const store = openStore({ dir });
    await fill(store, "alice", up("a"), T0, 480);
    await fill(store, "bob", up("a"), T0, 480);
    await store.flushHead();
    await fill(store, "alice", up("a"), T0 + 480 * 15_000, 10);
    await fill(store, "bob", up("a"), T0 + 480 * 15_000, 10);
    await store.deleteUser("alice");
    assert.deepEqual(await store.select("alice", [], -Infinity, Infinity), []);
    assert.equal((await readAll(store, "bob", up("a"))).t.length, 490);
    const chunkBytes = fs.readdirSync(path.join(dir, "blocks")).map((b) => fs.readFileSync(path.join(dir, "blocks", b, "index")).toString("latin1"));
    assert.ok(chunkBytes.every((text) => !text.includes("alice")));
    const reopened = openStore({ dir: crashCopy(dir) });
    assert.deepEqual(await reopened.series("alice", [], -Infinity, Infinity), []);
    assert.equal((await readAll(reopened, "bob", up("a"))).t.length, 490);
    // The user can start again from scratch.
    await fill(reopened, "alice", up("a"), T0 + 600 * 15_000, 2);
    assert.equal((await readAll(reopened, "alice", up("a"))).t.length, 2);
  });

  it("finishes a deletion interrupted by a crash (logged, blocks not yet rewritten) when reopening", async () => {
    const dir = freshDir();
    const store = openStore({ dir });
    await fill(store, "alice", up("a"), T0, 100);
    await fill(store, "bob", up("a"), T0, 100);
    await store.flushHead();
    const copy = crashCopy(dir);
    // The state right after the WAL record of deleteUser became durable.
    const noop = { series() {}, sample() {}, deleteUser() {}, chunk() {} };
    const { wal } = Wal.open(path.join(copy, "wal"), noop);
    wal.records.deleteUser("alice");
    await wal.close();
    const reopened = openStore({ dir: copy });
    assert.deepEqual(await reopened.select("alice", [], -Infinity, Infinity), []);
    assert.equal((await readAll(reopened, "bob", up("a"))).t.length, 100);
    for (const b of fs.readdirSync(path.join(copy, "blocks"))) {
      assert.ok(!fs.readFileSync(path.join(copy, "blocks", b, "index")).toString("latin1").includes("alice"));
    }
  });

  it("detects a corrupted chunk on disk instead of returning wrong samples", async () => {
    const dir = freshDir();
    const store = openStore({ dir });
    await fill(store, "u1", up("a"), T0, 200);
    await store.flushHead();
    await store.close();
    const [block] = fs.readdirSync(path.join(dir, "blocks"));
    const file = path.join(dir, "blocks", block!, "chunks");
    const bytes = fs.readFileSync(file);
    bytes[20] = bytes[20]! ^ 0x40;
    fs.writeFileSync(file, bytes);
    const reopened = openStore({ dir });
    await assert.rejects(reopened.select("u1", [], -Infinity, Infinity), /checksum mismatch/);
  });

  it("rejects calls after close", async () => {
    const store = openStore({ dir: freshDir() });
    await store.close();
    await assert.rejects(store.append("u1", [{ labels: up("a"), samples: [{ t: T0, v: 1 }] }]), /closed/);
    await assert.rejects(store.select("u1", [], 0, 1), /closed/);
  });
});
