import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DecodedChunkCache } from "#server/modules/metric-store/decoded-chunk-cache.ts";
import { SampleBuffer, XorChunkEncoder } from "#server/modules/metric-store/xor-chunk.ts";

const STALE_NAN = new Float64Array(new Uint32Array([2, 0x7ff00000]).buffer)[0]!;

function chunk(from: number, n: number, value = (i: number): number => i * 1.5): Uint8Array {
  const enc = new XorChunkEncoder();
  for (let i = 0; i < n; i++) enc.append(from + i * 10, value(i));
  return enc.bytes();
}

function decoded(cache: DecodedChunkCache, key: number, bytes: Uint8Array | undefined, mint = -Infinity, maxt = Infinity): SampleBuffer {
  const out = new SampleBuffer(4);
  cache.decode(key, bytes, out, mint, maxt);
  return out;
}

describe("decoded chunk cache", () => {
  it("caches a chunk on its second read, then serves it without its bytes, cut to the requested range", () => {
    const cache = new DecodedChunkCache(1 << 20);
    const key = 1;
    const bytes = chunk(0, 10);
    assert.deepEqual(Array.from(decoded(cache, key, bytes, 15, 35).columns().timestamps), [20, 30]);
    assert.equal(cache.has(key), false);
    assert.equal(cache.size, 0);
    assert.deepEqual(Array.from(decoded(cache, key, bytes).columns().timestamps), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    assert.equal(cache.has(key), true);
    assert.equal(cache.size, 10 * 16);
    const part = decoded(cache, key, undefined, 25, 60).columns();
    assert.deepEqual(Array.from(part.timestamps), [30, 40, 50, 60]);
    assert.deepEqual(Array.from(part.values), [4.5, 6, 7.5, 9]);
  });

  it("keeps values bit-exact, staleness markers included", () => {
    const cache = new DecodedChunkCache(1 << 20);
    const bytes = chunk(0, 3, (i) => (i === 1 ? STALE_NAN : i));
    decoded(cache, 2, bytes);
    decoded(cache, 2, bytes);
    const { values } = decoded(cache, 2, undefined).columns();
    assert.deepEqual(Array.from(new Uint32Array(values.buffer, values.byteOffset, 6)), [0, 0, 2, 0x7ff00000, 0, 0x40000000]);
  });

  it("evicts the least recently used chunks past its budget", () => {
    const cache = new DecodedChunkCache(25 * 16);
    const [a, b, c] = [10, 11, 12];
    const twice = (key: number, bytes: Uint8Array): void => {
      decoded(cache, key, bytes);
      decoded(cache, key, bytes);
    };
    twice(a, chunk(0, 10));
    twice(b, chunk(100, 10));
    decoded(cache, a, undefined); // a is now the most recently used
    twice(c, chunk(200, 10));
    assert.equal(cache.has(a), true);
    assert.equal(cache.has(b), false);
    assert.equal(cache.has(c), true);
    assert.equal(cache.size, 20 * 16);
    assert.throws(() => decoded(cache, b, undefined), /chunk bytes needed/);
  });

  it("decodes straight through with a zero budget", () => {
    const cache = new DecodedChunkCache(0);
    const key = 3;
    assert.equal(decoded(cache, key, chunk(0, 5)).length, 5);
    assert.equal(decoded(cache, key, chunk(0, 5)).length, 5);
    assert.equal(cache.has(key), false);
    assert.equal(cache.size, 0);
  });
});
