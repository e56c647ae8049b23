import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BitWriter } from "#server/modules/metric-store/bits.ts";
import { ByteReader, ByteWriter } from "#server/modules/metric-store/varint.ts";
import {
  SampleArena,
  SampleBuffer,
  XorChunkEncoder,
  chunkSampleCount,
  decodeChunk,
  encodeChunks,
  floatBits,
  mergeSorted,
} from "#server/modules/metric-store/xor-chunk.ts";
import { seededRandom } from "#test/support/random.ts";

const STALE_NAN = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]!;

function decodeAll(bytes: Uint8Array, mint?: number, maxt?: number): SampleBuffer {
  const out = new SampleBuffer();
  decodeChunk(bytes, out, mint, maxt);
  return out;
}

function roundTrip(ts: number[], vs: number[]): void {
  const enc = new XorChunkEncoder();
  ts.forEach((t, i) => enc.append(t, vs[i]!));
  const bytes = enc.bytes();
  assert.equal(chunkSampleCount(bytes), ts.length);
  const out = decodeAll(bytes);
  assert.equal(out.length, ts.length);
  for (let i = 0; i < ts.length; i++) {
    assert.equal(out.t[i], ts[i], `t[${i}]`);
    assert.deepEqual([out.lo(i), out.hi(i)], floatBits(vs[i]!), `v[${i}] bits`);
  }
}

/** Bit `i` of `bytes`, most significant first: the plainest possible reader, to check the writer. */
const bitAt = (bytes: Uint8Array, i: number): number => ((bytes[i >>> 3] ?? 0) >>> (7 - (i & 7))) & 1;

describe("bit writer", () => {
  it("writes mixed widths from 0 to 32 bits, most significant bit first", () => {
    const w = new BitWriter(1);
    const rand = seededRandom(1);
    const items: Array<[number, number]> = [];
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(rand() * 33);
      const v = n === 32 ? Math.floor(rand() * 2 ** 32) : Math.floor(rand() * 2 ** n);
      items.push([v, n]);
      w.writeBits(v, n);
    }
    w.writeBit(1);
    const bytes = w.bytes();
    let pos = 0;
    for (const [v, n] of items) {
      let read = 0;
      for (let b = 0; b < n; b++) read = read * 2 + bitAt(bytes, pos++);
      assert.equal(read, v);
    }
    assert.equal(bitAt(bytes, pos), 1);
    assert.equal(bytes.length, Math.ceil((pos + 1) / 8));
  });
});

describe("varints", () => {
  it("round-trips unsigned and zigzag values up to 2^52", () => {
    const w = new ByteWriter(1);
    const values = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, 1_700_000_000_000, 2 ** 52];
    for (const v of values) w.uvarint(v);
    for (const v of values) w.varint(-v);
    w.string("héllo");
    w.string("node_cpu_seconds_total");
    w.string("");
    w.string("🚀 ü");
    w.f64(Math.PI);
    const r = new ByteReader(w.result());
    for (const v of values) assert.equal(r.uvarint(), v);
    for (const v of values) assert.equal(r.varint(), -v === 0 ? 0 : -v);
    assert.equal(r.string(), "héllo");
    assert.equal(r.string(), "node_cpu_seconds_total");
    assert.equal(r.string(), "");
    assert.equal(r.string(), "🚀 ü");
    assert.equal(r.f64(), Math.PI);
    assert.throws(() => r.u8(), RangeError);
  });

  it("rejects negative or unsafe unsigned values", () => {
    const w = new ByteWriter();
    assert.throws(() => w.uvarint(-1), RangeError);
    assert.throws(() => w.uvarint(2 ** 60), RangeError);
  });
});

describe("XOR chunk", () => {
  it("round-trips regular 15 s samples in about 1-2 bytes per sample", () => {
    const ts: number[] = [];
    const vs: number[] = [];
    let counter = 1000;
    for (let i = 0; i < 120; i++) {
      ts.push(1_700_000_000_000 + i * 15_000);
      counter += i % 3 === 0 ? 0 : 17;
      vs.push(counter);
    }
    roundTrip(ts, vs);
    const enc = new XorChunkEncoder();
    ts.forEach((t, i) => enc.append(t, vs[i]!));
    assert.ok(enc.bytes().length / 120 < 2, `bytes/sample ${enc.bytes().length / 120}`);
  });

  it("round-trips every delta-of-delta bucket, including negative and huge jumps", () => {
    const ts = [0, 1, 2, 8195, 16390, 16391, 100_000, 100_001, 700_000, 700_001, 1e12, 1e12 + 1, 1e12 + 8193, 1e12 + 8194];
    roundTrip(ts, ts.map((t) => t / 7));
    roundTrip([-5000, -10, 0, 5], [1, 2, 3, 4]);
  });

  it("keeps special floats bit-exact: staleness marker, NaN, ±Inf, -0, subnormals", () => {
    const vs = [1, STALE_NAN, NaN, Infinity, -Infinity, -0, 0, 5e-324, Number.MAX_VALUE, STALE_NAN, 1.5, 1.5];
    roundTrip(vs.map((_, i) => 1000 + i * 1000), vs);
  });

  it("round-trips random values and timestamps", () => {
    const rand = seededRandom(42);
    for (let round = 0; round < 50; round++) {
      const ts: number[] = [];
      const vs: number[] = [];
      let t = Math.floor(rand() * 2e12);
      for (let i = 0; i < 120; i++) {
        t += 1 + Math.floor(rand() * (rand() < 0.5 ? 30 : 2e6));
        ts.push(t);
        const kind = rand();
        vs.push(kind < 0.3 ? Math.floor(rand() * 100) : kind < 0.6 ? rand() * 1e9 : kind < 0.8 ? (vs.at(-1) ?? 0) : -rand());
      }
      roundTrip(ts, vs);
    }
  });

  it("decodes only the requested time range", () => {
    const enc = new XorChunkEncoder();
    for (let i = 0; i < 10; i++) enc.append(i * 10, i);
    const out = decodeAll(enc.bytes(), 25, 60);
    assert.deepEqual(Array.from(out.t.subarray(0, out.length)), [30, 40, 50, 60]);
  });

  it("appends after samples already in the buffer", () => {
    const enc = new XorChunkEncoder();
    for (let i = 0; i < 5; i++) enc.append(100 + i, i * 1.5);
    const out = new SampleBuffer(2);
    out.push(1, 42);
    decodeChunk(enc.bytes(), out);
    assert.deepEqual(Array.from(out.t.subarray(0, out.length)), [1, 100, 101, 102, 103, 104]);
    assert.deepEqual(Array.from(out.v.subarray(0, out.length)), [42, 0, 1.5, 3, 4.5, 6]);
  });

  it("throws a RangeError for a truncated chunk instead of inventing samples", () => {
    const enc = new XorChunkEncoder();
    const rand = seededRandom(3);
    for (let i = 0; i < 120; i++) enc.append(i * 15_000 + Math.floor(rand() * 1000), rand() * 1e6);
    const bytes = enc.bytes();
    for (const keep of [10, 17, Math.floor(bytes.length / 2), bytes.length - 2]) {
      assert.throws(() => decodeAll(bytes.slice(0, keep)), RangeError, `truncated to ${keep} bytes`);
    }
  });

  it("cuts chunks at the sample limit and at time boundaries", () => {
    const buf = new SampleBuffer();
    for (let i = 0; i < 300; i++) buf.push(i * 10, i);
    const chunks = encodeChunks(buf, 1000);
    assert.deepEqual(
      chunks.map((c) => [c.mint, c.maxt, c.count]),
      [[0, 990, 100], [1000, 1990, 100], [2000, 2990, 100]],
    );
    const big = encodeChunks(buf);
    assert.deepEqual(big.map((c) => c.count), [120, 120, 60]);
  });

  it("merges sorted buffers, the first source winning on equal timestamps", () => {
    const a = new SampleBuffer();
    const b = new SampleBuffer();
    [1, 3, 5].forEach((t) => a.push(t, t));
    [2, 3, 6].forEach((t) => b.push(t, -t));
    const m = mergeSorted([a, b]);
    assert.deepEqual(Array.from(m.t.subarray(0, m.length)), [1, 2, 3, 5, 6]);
    assert.deepEqual(Array.from(m.columns().values), [1, -2, 3, 5, -6]);
  });

  it("merges disjoint, overlapping, three-way and empty inputs the same, into an arena too", () => {
    const buf = (ts: number[], sign = 1): SampleBuffer => {
      const out = new SampleBuffer(2);
      for (const t of ts) out.push(t, sign * t);
      return out;
    };
    const cases: Array<[SampleBuffer[], number[], number[]]> = [
      [[buf([10, 20]), buf([1, 2, 3])], [1, 2, 3, 10, 20], [1, 2, 3, 10, 20]],
      [[buf([1, 2]), buf([3, 4]), buf([]), buf([5])], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]],
      [[buf([1, 4, 9]), buf([4, 5], -1), buf([0, 9], -1)], [0, 1, 4, 5, 9], [-0, 1, 4, -5, 9]],
      [[buf([]), buf([])], [], []],
    ];
    for (const arena of [undefined, new SampleArena()]) {
      for (const [sources, ts, vs] of cases) {
        const { timestamps, values } = mergeSorted(sources, arena).columns();
        assert.deepEqual(Array.from(timestamps), ts);
        assert.deepEqual(Array.from(values), vs);
      }
    }
  });
});

describe("XOR chunk encoder reuse", () => {
  it("encodes identically after reset()", () => {
    const a = new XorChunkEncoder(8);
    for (let i = 0; i < 50; i++) a.append(i * 1000 + (i % 3), Math.sin(i));
    a.reset();
    const b = new XorChunkEncoder(8);
    for (let i = 0; i < 30; i++) {
      a.append(5_000 + i * 15_000, i * 1.5);
      b.append(5_000 + i * 15_000, i * 1.5);
    }
    assert.deepEqual(a.bytes(), b.bytes());
    assert.deepEqual(a.view(), b.bytes());
  });
});
