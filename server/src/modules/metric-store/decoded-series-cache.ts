/**
 * Head series kept decoded as whole columns (timestamps and value bits, from a chunk boundary
 * through the open chunk), the least recently used dropped past a byte budget. A dashboard reads
 * the same series at every refresh, each time over the last hour or so, which ends in the head's
 * open chunk; only such reads (reaching the series' newest chunk) are served here. Reading from these columns hands out views: no copy, and no new memory per query
 * (copying a large read into fresh arrays made V8 collect garbage at nearly every query).
 *
 * A position handed out in a view never changes: samples are appended in time order, a chunk
 * closed since the last read holds the very samples decoded from it while it was open (rewritten
 * with the same bits), and anything else (the head dropped the first decoded chunk, a read needs
 * older chunks, more room) builds new arrays, leaving older views on the old ones. Only in-order
 * samples (chunks) are kept; the head merges a series' out-of-order samples into a copy. A series
 * is admitted on its second read, as in the decoded-chunk cache. Eviction is CLOCK-style (second
 * chance), as there.
 */
import type { HeadSeries } from "#server/modules/metric-store/head.ts";
import { SampleBuffer, decodeChunkInto } from "#server/modules/metric-store/xor-chunk.ts";

/** Bytes per decoded sample: a float64 timestamp and a float64 value. */
const SAMPLE_BYTES = 16;
/** Room beyond what a new entry needs: one more full chunk before the columns must grow. */
const HEADROOM = 120;

/** Samples a read at `mint` decodes (closed chunks from the first it needs, and the open one), plus headroom. */
function capacityFor(s: HeadSeries, mint: number): number {
  let need = s.open === null ? 0 : s.open.count;
  for (const chunk of s.chunks) if (chunk.maxt >= mint) need += chunk.count;
  return Math.ceil((need + HEADROOM) / 64) * 64;
}

interface Columns {
  t: Float64Array;
  v: Float64Array;
  bits: Uint32Array;
  /** Start time of the chunk (closed or open) the decoded samples begin with (NaN: none). */
  startMint: number;
  /** Closed chunks decoded, from the one starting at startMint on, and the samples they hold. */
  closedChunks: number;
  closedLength: number;
  /** Samples valid (closed chunks, then the open chunk as of openCount samples). */
  length: number;
  openCount: number;
  /** NaN values among the closed chunks' samples, and among all valid samples (none: no staleness marker to drop). */
  closedNaNs: number;
  nans: number;
  used: boolean;
}

/** NaN values among v[from … to - 1]. */
function countNaNs(v: Float64Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (v[i] !== v[i]) n++;
  return n;
}

export class DecodedSeriesCache {
  private readonly entries = new Map<HeadSeries, Columns>();
  private readonly seenOnce = new WeakSet<HeadSeries>();
  private bytes = 0;
  private readonly budgetBytes: number;

  constructor(budgetBytes: number) {
    this.budgetBytes = budgetBytes;
  }

  /** Decoded bytes held (capacity of the columns). */
  get size(): number {
    return this.bytes;
  }

  /**
   * The series' in-order samples with mint <= t <= maxt as views over its cached columns, or
   * undefined when this read should decode on its own (first read, no budget).
   */
  read(s: HeadSeries, mint: number, maxt: number): SampleBuffer | undefined {
    if (this.budgetBytes <= 0) return undefined;
    // Only reads reaching the newest samples (a dashboard's "last hour") are kept: an older range,
    // or one past the series' data, decodes what it needs on its own.
    const newest = s.open !== null && s.open.count > 0 ? s.open : s.chunks.at(-1);
    if (newest === undefined || maxt < newest.mint || mint > newest.maxt) return undefined;
    let c = this.entries.get(s);
    if (c === undefined) {
      if (!this.seenOnce.has(s)) {
        this.seenOnce.add(s);
        return undefined;
      }
      this.seenOnce.delete(s);
      c = this.fresh(s, capacityFor(s, mint));
    } else {
      c.used = true;
    }
    c = this.refresh(s, c, mint);
    const { t, length } = c;
    let from = 0;
    let hi = length;
    while (from < hi) {
      const mid = (from + hi) >>> 1;
      if (t[mid]! < mint) from = mid + 1;
      else hi = mid;
    }
    let to = from;
    hi = length;
    while (to < hi) {
      const mid = (to + hi) >>> 1;
      if (t[mid]! <= maxt) to = mid + 1;
      else hi = mid;
    }
    const out = SampleBuffer.over(t.subarray(from, to), c.v.subarray(from, to));
    out.length = to - from;
    out.withoutNaN = c.nans === 0;
    this.evict();
    return out;
  }

  private fresh(s: HeadSeries, capacity: number): Columns {
    const old = this.entries.get(s);
    if (old) this.bytes -= old.t.length * SAMPLE_BYTES;
    // Both columns in one allocation, shared so that query worker threads read them in place.
    const memory = new SharedArrayBuffer(capacity * SAMPLE_BYTES);
    const v = new Float64Array(memory, capacity * 8, capacity);
    const c: Columns = {
      t: new Float64Array(memory, 0, capacity),
      v,
      bits: new Uint32Array(memory, capacity * 8, 2 * capacity),
      startMint: Number.NaN,
      closedChunks: 0,
      closedLength: 0,
      length: 0,
      openCount: 0,
      closedNaNs: 0,
      nans: 0,
      used: false,
    };
    this.entries.set(s, c);
    this.bytes += capacity * SAMPLE_BYTES;
    return c;
  }

  /**
   * Brings the columns up to date with the head, starting no later than the first chunk a read at
   * `mint` needs; replaces them when positions already handed out would change.
   */
  private refresh(s: HeadSeries, columns: Columns, mint: number): Columns {
    let c = columns;
    const chunks = s.chunks;
    const open = s.open !== null && s.open.count > 0 ? s.open : null;
    let needed = 0;
    while (needed < chunks.length && chunks[needed]!.maxt < mint) needed++;
    // Where the decoded samples begin now: a closed chunk's index, or chunks.length for the open one.
    let first = -1;
    const decoded = c.length > 0 || c.closedLength > 0;
    if (decoded) {
      let i = 0;
      while (i < chunks.length && chunks[i]!.mint < c.startMint) i++;
      if (i < chunks.length ? chunks[i]!.mint === c.startMint : open !== null && open.mint === c.startMint) first = i;
    }
    if (first < 0 || needed < first) {
      // That chunk is gone (persisted and dropped from the head), or the read needs older ones.
      if (decoded) c = this.fresh(s, c.t.length);
      c.closedChunks = 0;
      c.closedLength = 0;
      c.length = 0;
      c.openCount = 0;
      c.closedNaNs = 0;
      c.nans = 0;
      first = needed;
      c.startMint = first < chunks.length ? chunks[first]!.mint : open !== null ? open.mint : Number.NaN;
    }
    let length = c.closedLength;
    let next = first + c.closedChunks;
    if (next < chunks.length) {
      // Chunks closed since: the first of them is the open chunk decoded before, same samples.
      for (; next < chunks.length; next++) {
        const chunk = chunks[next]!;
        c = this.room(s, c, length, chunk.count);
        const from = length;
        length = decodeChunkInto(chunk.bytes, c.t, c.bits, length);
        c.closedNaNs += countNaNs(c.v, from, length);
        c.closedChunks++;
      }
      c.closedLength = length;
      c.openCount = -1;
    }
    const openCount = open === null ? 0 : open.count;
    if (openCount !== c.openCount) {
      if (open !== null) {
        c = this.room(s, c, length, openCount);
        c.length = decodeChunkInto(open.view(), c.t, c.bits, length);
      } else {
        c.length = length;
      }
      c.nans = c.closedNaNs + countNaNs(c.v, length, c.length);
      c.openCount = openCount;
    }
    return c;
  }

  /** `c`, or a copy of its first `keep` samples in larger columns when `keep + extra` samples do not fit. */
  private room(s: HeadSeries, c: Columns, keep: number, extra: number): Columns {
    const need = keep + extra;
    if (need <= c.t.length) return c;
    let capacity = c.t.length * 2;
    while (capacity < need) capacity *= 2;
    const grown = this.fresh(s, capacity);
    grown.t.set(c.t.subarray(0, keep));
    grown.bits.set(c.bits.subarray(0, 2 * keep));
    grown.startMint = c.startMint;
    grown.closedChunks = c.closedChunks;
    grown.closedLength = c.closedLength;
    grown.length = c.length;
    grown.openCount = c.openCount;
    grown.closedNaNs = c.closedNaNs;
    grown.nans = c.nans;
    grown.used = c.used;
    return grown;
  }

  /** Drops the columns of series the head no longer has (call after it drops series). */
  pruneRemoved(): void {
    for (const [s, c] of this.entries) {
      if (!s.removed) continue;
      this.entries.delete(s);
      this.bytes -= c.t.length * SAMPLE_BYTES;
    }
  }

  private evict(): void {
    if (this.bytes <= this.budgetBytes) return;
    // Entries moved to the back come round again with their mark cleared, so this ends.
    for (const [s, c] of this.entries) {
      if (this.bytes <= this.budgetBytes) return;
      this.entries.delete(s);
      if (c.used && !s.removed) {
        c.used = false;
        this.entries.set(s, c);
        continue;
      }
      this.bytes -= c.t.length * SAMPLE_BYTES;
    }
  }
}
