/**
 * Decoded samples of immutable chunks (closed head chunks and block chunks), the least recently
 * used evicted past a byte budget. Dashboards repeat the same range queries at every refresh, and
 * decoding is most of a query's storage time; copying decoded samples costs a fraction of it.
 * Chunks are named by numbers handed out once per chunk (`reserveChunkKeys`: a head chunk takes one
 * when it is closed, an opened block a run of one per chunk): entries of chunks the head dropped or
 * of closed blocks can no longer be hit and age out. (Keying by the chunk objects through a WeakMap
 * made a first, uncached read 40% slower; string keys built per read cost more than the copy.)
 * Recency is kept CLOCK-style (second chance): a hit only marks its entry, and eviction walks the
 * entries in admission order, giving a marked one another round at the back. A hit costs no
 * reordering of a large hash table, and eviction still drops what went unread longest first.
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
  readonly key: ChunkKey;
  readonly slab: Slab;
  readonly offset: number;
  readonly length: number;
  /** Read since it was admitted or last given a second chance. */
  used: boolean;
}

/** Names one immutable chunk for the cache; unique for the life of the process. */
export type ChunkKey = number;

let nextChunkKey = 1;

/** Reserves `count` consecutive chunk keys and returns the first. */
export function reserveChunkKeys(count: number): ChunkKey {
  const first = nextChunkKey;
  nextChunkKey += count;
  return first;
}

export class DecodedChunkCache {
  /** Entries in admission order (a Map keeps insertion order); the eviction walk starts at the front. */
  private readonly entries = new Map<ChunkKey, Entry>();
  private bytes = 0;
  private readonly budgetBytes: number;
  private slab: Slab = { times: new Float64Array(0), bits: new Uint32Array(0) };
  private slabUsed = 0;
  /** Keys read once and not cached yet; forgotten wholesale when it outgrows a few budgets' worth. */
  private readonly seenOnce = new Set<ChunkKey>();
  private readonly maxSeenOnce: number;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
    this.maxSeenOnce = Math.ceil((4 * budgetBytes) / TYPICAL_CHUNK_BYTES);
  }

  /** Whether the chunk standing behind `key` is decoded in the cache. */
  has(key: ChunkKey): boolean {
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
  decode(key: ChunkKey, chunk: Uint8Array | undefined, out: SampleBuffer, mint: number, maxt: number): void {
    let entry = this.entries.get(key);
    if (entry) {
      entry.used = true;
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

  private rememberRead(key: ChunkKey): void {
    if (this.budgetBytes <= 0) return;
    if (this.seenOnce.size >= this.maxSeenOnce) this.seenOnce.clear();
    this.seenOnce.add(key);
  }

  private add(key: ChunkKey, chunk: Uint8Array): Entry {
    const count = chunkSampleCount(chunk);
    if (this.slabUsed + count > this.slab.times.length) {
      const size = Math.max(count, SLAB_SAMPLES);
      this.slab = { times: new Float64Array(size), bits: new Uint32Array(2 * size) };
      this.slabUsed = 0;
    }
    const offset = this.slabUsed;
    const length = decodeChunkInto(chunk, this.slab.times, this.slab.bits, offset) - offset;
    this.slabUsed += length;
    const entry: Entry = { key, slab: this.slab, offset, length, used: false };
    this.entries.set(key, entry);
    this.bytes += length * SAMPLE_BYTES;
    this.evict();
    return entry;
  }

  private evict(): void {
    if (this.bytes <= this.budgetBytes) return;
    // Entries moved to the back come round again with their mark cleared, so this ends.
    for (const entry of this.entries.values()) {
      if (this.bytes <= this.budgetBytes) return;
      this.entries.delete(entry.key);
      if (entry.used) {
        entry.used = false;
        this.entries.set(entry.key, entry);
        continue;
      }
      this.bytes -= entry.length * SAMPLE_BYTES;
    }
  }
}

/** Appends the entry's samples with mint <= t <= maxt to `out`, bit-exactly. */
function copyRange(entry: Entry, out: SampleBuffer, mint: number, maxt: number): void {
  const { times, bits } = entry.slab;
  let from = entry.offset;
  let to = entry.offset + entry.length;
  while (from < to && times[from]! < mint) from++;
  while (to > from && times[to - 1]! > maxt) to--;
  if (to <= from) return;
  out.reserve(to - from);
  const j = out.length;
  // Block copies (memmove); the value bits travel as 32-bit words, so NaN payloads are kept.
  out.t.set(times.subarray(from, to), j);
  out.vBits.set(bits.subarray(2 * from, 2 * to), 2 * j);
  out.length = j + (to - from);
}
