/**
 * Decoded samples of immutable chunks (closed head chunks and block chunks), the least recently
 * used evicted past a byte budget. Dashboards repeat the same range queries at every refresh, and
 * decoding is most of a query's storage time; copying decoded samples costs a fraction of it.
 * A head chunk is keyed by its own object, held weakly (the head drops chunks as they age into
 * blocks); a block chunk by a string naming the block instance and the chunk. Entries that can no
 * longer be hit simply age out.
 */
import { SampleBuffer, chunkSampleCount, decodeChunk } from "#server/modules/metric-store/xor-chunk.ts";

/** Bytes per decoded sample: a float64 timestamp and a float64 value. */
const SAMPLE_BYTES = 16;

/** An object standing for an immutable chunk, or a string naming one. */
export type ChunkKey = object | string;

interface Entry {
  readonly key: WeakRef<object> | string;
  readonly samples: SampleBuffer;
}

export class DecodedChunkCache {
  private readonly byObject = new WeakMap<object, Entry>();
  private readonly byName = new Map<string, Entry>();
  /** Entries from least to most recently used (a Set keeps insertion order). */
  private readonly recency = new Set<Entry>();
  private bytes = 0;
  private readonly budgetBytes: number;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  /** Whether the chunk standing behind `key` is decoded in the cache. */
  has(key: ChunkKey): boolean {
    return this.lookup(key) !== undefined;
  }

  private lookup(key: ChunkKey): Entry | undefined {
    return typeof key === "string" ? this.byName.get(key) : this.byObject.get(key);
  }

  /**
   * Appends the samples of `chunk` with mint <= t <= maxt to `out`. `chunk` may be omitted when
   * `has(key)` said the chunk is cached.
   */
  decode(key: ChunkKey, chunk: Uint8Array | undefined, out: SampleBuffer, mint: number, maxt: number): void {
    let entry = this.lookup(key);
    if (entry) {
      this.recency.delete(entry);
      this.recency.add(entry);
    } else {
      if (chunk === undefined) throw new Error("decoded chunk cache: chunk bytes needed for a chunk not cached");
      if (this.budgetBytes <= 0) {
        decodeChunk(chunk, out, mint, maxt);
        return;
      }
      const samples = new SampleBuffer(chunkSampleCount(chunk));
      decodeChunk(chunk, samples);
      if (typeof key === "string") {
        entry = { key, samples };
        this.byName.set(key, entry);
      } else {
        entry = { key: new WeakRef(key), samples };
        this.byObject.set(key, entry);
      }
      this.recency.add(entry);
      this.bytes += samples.length * SAMPLE_BYTES;
      this.evict();
    }
    out.appendRange(entry.samples, mint, maxt);
  }

  /** Decoded bytes held. */
  get size(): number {
    return this.bytes;
  }

  private evict(): void {
    for (const entry of this.recency) {
      if (this.bytes <= this.budgetBytes) return;
      this.recency.delete(entry);
      this.bytes -= entry.samples.length * SAMPLE_BYTES;
      if (typeof entry.key === "string") {
        this.byName.delete(entry.key);
      } else {
        const key = entry.key.deref();
        if (key !== undefined) this.byObject.delete(key);
      }
    }
  }
}
