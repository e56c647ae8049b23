/**
 * Decoded samples of immutable chunks (closed head chunks and block chunks), the least recently
 * used evicted past a byte budget. Dashboards repeat the same range queries at every refresh, and
 * decoding is most of a query's storage time; copying decoded samples costs a fraction of it.
 * Chunks are named by strings (head series ref and chunk start; block instance and chunk index):
 * entries of chunks the head dropped or of closed blocks can no longer be hit and age out.
 * (Keying by the chunk objects through a WeakMap made a first, uncached read 40% slower.)
 * A chunk is admitted on its second read: a one-off query decodes straight into its result, as
 * without a cache, and only what is read again (a dashboard refreshing) pays for caching.
 */
import { chunkSampleCount, decodeChunkInto, type SampleBuffer } from "#server/modules/metric-store/xor-chunk.ts";

/** Bytes per decoded sample: a float64 timestamp and a float64 value. */
const SAMPLE_BYTES = 16;
const SLAB_SAMPLES = 65_536;
/** Chunks of about 120 samples: the budget holds about budget / 1,920 of them. */
const TYPICAL_CHUNK_BYTES = 120 * SAMPLE_BYTES;

/*
 * Decoded chunks live in shared slabs at an offset, not in arrays of their own: a few allocations
 * per chunk cost more than decoding it. A slab's memory returns once every chunk in it is
 * evicted; the LRU order is close to the order chunks were added in, so slabs empty as a whole.
 */
interface Slab {
  readonly times: Float64Array;
  readonly bits: Uint32Array;
}

interface Entry {
  readonly key: string;
  readonly slab: Slab;
  readonly offset: number;
  readonly length: number;
}

export class DecodedChunkCache {
  private readonly entries = new Map<string, Entry>();
  /** Entries from least to most recently used (a Set keeps insertion order). */
  private readonly recency = new Set<Entry>();
  private bytes = 0;
  private readonly budgetBytes: number;
  private slab: Slab = { times: new Float64Array(0), bits: new Uint32Array(0) };
  private slabUsed = 0;
  /** Keys read once and not cached yet; forgotten wholesale when it outgrows a few budgets' worth. */
  private readonly seenOnce = new Set<string>();
  private readonly maxSeenOnce: number;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
    this.maxSeenOnce = Math.ceil((4 * budgetBytes) / TYPICAL_CHUNK_BYTES);
  }

  /** Whether the chunk standing behind `key` is decoded in the cache. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Decoded bytes held. */
  get size(): number {
    return this.bytes;
  }

  /**
   * Appends the samples of `chunk` with mint <= t <= maxt to `out`. `chunk` may be omitted when
   * `has(key)` said the chunk is cached.
   */
  decode(key: string, chunk: Uint8Array | undefined, out: SampleBuffer, mint: number, maxt: number): void {
    let entry = this.entries.get(key);
    if (entry) {
      this.recency.delete(entry);
      this.recency.add(entry);
    } else {
      if (chunk === undefined) throw new Error("decoded chunk cache: chunk bytes needed for a chunk not cached");
      if (this.budgetBytes <= 0 || !this.seenOnce.delete(key)) {
        this.rememberRead(key);
        out.reserve(chunkSampleCount(chunk));
        out.length = decodeChunkInto(chunk, out.t, out.vBits, out.length, mint, maxt);
        return;
      }
      entry = this.add(key, chunk);
    }
    copyRange(entry, out, mint, maxt);
  }

  private rememberRead(key: string): void {
    if (this.budgetBytes <= 0) return;
    if (this.seenOnce.size >= this.maxSeenOnce) this.seenOnce.clear();
    this.seenOnce.add(key);
  }

  private add(key: string, chunk: Uint8Array): Entry {
    const count = chunkSampleCount(chunk);
    if (this.slabUsed + count > this.slab.times.length) {
      const size = Math.max(count, SLAB_SAMPLES);
      this.slab = { times: new Float64Array(size), bits: new Uint32Array(2 * size) };
      this.slabUsed = 0;
    }
    const offset = this.slabUsed;
    const length = decodeChunkInto(chunk, this.slab.times, this.slab.bits, offset) - offset;
    this.slabUsed += length;
    const entry: Entry = { key, slab: this.slab, offset, length };
    this.entries.set(key, entry);
    this.recency.add(entry);
    this.bytes += length * SAMPLE_BYTES;
    this.evict();
    return entry;
  }

  private evict(): void {
    for (const entry of this.recency) {
      if (this.bytes <= this.budgetBytes) return;
      this.recency.delete(entry);
      this.bytes -= entry.length * SAMPLE_BYTES;
      this.entries.delete(entry.key);
    }
  }
}

/** Appends the entry's samples with mint <= t <= maxt to `out`, bit-exactly (at most one chunk: a plain loop). */
function copyRange(entry: Entry, out: SampleBuffer, mint: number, maxt: number): void {
  const { times, bits } = entry.slab;
  let from = entry.offset;
  let to = entry.offset + entry.length;
  while (from < to && times[from]! < mint) from++;
  while (to > from && times[to - 1]! > maxt) to--;
  if (to <= from) return;
  out.reserve(to - from);
  const t = out.t;
  const v = out.vBits;
  let j = out.length;
  for (let i = from; i < to; i++, j++) {
    t[j] = times[i]!;
    v[2 * j] = bits[2 * i]!;
    v[2 * j + 1] = bits[2 * i + 1]!;
  }
  out.length = j;
}
