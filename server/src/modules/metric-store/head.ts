/**
 * The head: in-memory series of every user, keyed by (user, sorted labels). Each series has
 * closed chunks, one open chunk appended in order, and a small sorted out-of-order buffer that
 * is merged at read time. Chunks are cut every MAX_CHUNK_SAMPLES samples and at multiples of
 * the block range, so each chunk belongs to exactly one block when the head is persisted.
 * Each user has its own inverted index, so a query can only ever reach that user's series.
 */
import type { Labels } from "#server/modules/metric-store/metric-store.port.ts";
import { type CompiledMatcher, LabelIndex, hashLabels, labelsEqual } from "#server/modules/metric-store/labels.ts";
import {
  HI,
  LO,
  MAX_CHUNK_SAMPLES,
  SampleBuffer,
  XorChunkEncoder,
  decodeChunk,
  encodeChunks,
  mergeSorted,
  mergeTwoInto,
  type SampleArena,
} from "#server/modules/metric-store/xor-chunk.ts";
import { type ChunkKey, type DecodedChunkCache, reserveChunkKeys } from "#server/modules/metric-store/decoded-chunk-cache.ts";
import type { DecodedSeriesCache } from "#server/modules/metric-store/decoded-series-cache.ts";

export type StoredChunk = { mint: number; maxt: number; count: number; bytes: Uint8Array };

/** A closed head chunk, named for the decoded-chunk cache. */
export type HeadChunk = StoredChunk & { readonly key: ChunkKey };

export type HeadSeries = {
  readonly ref: number;
  readonly userId: string;
  readonly labels: Labels;
  readonly key: string;
  /** hashLabels(labels) and the number of labels, for the append fast path. */
  readonly hash: number;
  readonly labelCount: number;
  chunks: HeadChunk[];
  open: XorChunkEncoder | null;
  /** Exclusive end of the block range the open chunk belongs to. */
  openEnd: number;
  /** Newest in-order timestamp ever appended (-Infinity when none). */
  maxT: number;
  lastLo: number;
  lastHi: number;
  ooo: SampleBuffer | null;
  /** Set once the series is dropped from the head (its data persisted or its user deleted). */
  removed: boolean;
  /** The series appended right after this one in the last batch (the append path's guess for the next item). */
  next: HeadSeries | null;
};

/**
 * Closed head chunks are copied into shared 1 MiB slabs instead of one ArrayBuffer each: a
 * backing store per chunk costs far more than the ~200 bytes of a chunk. A slab is freed by the
 * garbage collector once no chunk in it is referenced (chunks are dropped in time order).
 */
export class ChunkArena {
  private slab = new Uint8Array(0);
  private used = 0;
  private readonly slabBytes: number;

  constructor(slabBytes = 1 << 20) {
    this.slabBytes = slabBytes;
  }

  copy(bytes: Uint8Array): Uint8Array {
    if (bytes.length > this.slabBytes / 4) return bytes.slice();
    if (this.used + bytes.length > this.slab.length) {
      this.slab = new Uint8Array(this.slabBytes);
      this.used = 0;
    }
    const out = this.slab.subarray(this.used, this.used + bytes.length);
    out.set(bytes);
    this.used += bytes.length;
    return out;
  }
}

export type AppendOutcome = "ok" | "same" | "too-old" | "duplicate";

export class UserHead {
  readonly series = new Map<string, HeadSeries>();
  readonly byHash = new Map<number, HeadSeries | HeadSeries[]>();
  readonly byRef = new Map<number, HeadSeries>();
  readonly index = new LabelIndex();
}

export class Head {
  readonly users = new Map<string, UserHead>();
  readonly refs = new Map<number, HeadSeries>();
  nextRef = 1;
  /** Samples currently held, in chunks and out-of-order buffers. */
  samples = 0;
  readonly blockRange: number;
  private readonly arena = new ChunkArena();

  constructor(blockRange: number) {
    this.blockRange = blockRange;
  }

  user(userId: string): UserHead | undefined {
    return this.users.get(userId);
  }

  get seriesCount(): number {
    return this.refs.size;
  }

  lookup(userId: string, key: string): HeadSeries | undefined {
    return this.users.get(userId)?.series.get(key);
  }

  /** Finds a series by the hash of its sorted labels (see hashLabels) and an equality check. */
  lookupHash(userId: string, hash: number, labels: Labels): HeadSeries | undefined {
    const found = this.users.get(userId)?.byHash.get(hash);
    if (found === undefined) return undefined;
    if (!Array.isArray(found)) return labelsEqual(found.labels, found.labelCount, labels) ? found : undefined;
    for (const s of found) if (labelsEqual(s.labels, s.labelCount, labels)) return s;
    return undefined;
  }

  /** Creates a series from normalized labels; `ref` is given when replaying the write-ahead log. */
  create(userId: string, labels: Labels, key: string, ref = this.nextRef): HeadSeries {
    let user = this.users.get(userId);
    if (!user) this.users.set(userId, (user = new UserHead()));
    const s: HeadSeries = {
      ref,
      userId,
      labels,
      key,
      hash: hashLabels(labels),
      labelCount: Object.keys(labels).length,
      chunks: [],
      open: null,
      openEnd: -Infinity,
      maxT: -Infinity,
      lastLo: 0,
      lastHi: 0,
      ooo: null,
      removed: false,
      next: null,
    };
    if (ref >= this.nextRef) this.nextRef = ref + 1;
    user.series.set(key, s);
    const same = user.byHash.get(s.hash);
    if (same === undefined) user.byHash.set(s.hash, s);
    else if (Array.isArray(same)) same.push(s);
    else user.byHash.set(s.hash, [same, s]);
    user.byRef.set(ref, s);
    user.index.add(ref, labels);
    this.refs.set(ref, s);
    return s;
  }

  /**
   * Appends one sample (value as float64 bits). Samples newer than the series' newest go to the
   * open chunk; older ones within `oooWindow` go to the out-of-order buffer.
   */
  append(s: HeadSeries, t: number, lo: number, hi: number, oooWindow: number): AppendOutcome {
    if (t > s.maxT) {
      let enc = s.open;
      if (enc === null || enc.count >= MAX_CHUNK_SAMPLES || t >= s.openEnd) {
        if (enc === null) enc = s.open = new XorChunkEncoder();
        else {
          s.chunks.push({ mint: enc.mint, maxt: enc.maxt, count: enc.count, bytes: this.arena.copy(enc.view()), key: reserveChunkKeys(1) });
          enc.reset();
        }
        s.openEnd = (Math.floor(t / this.blockRange) + 1) * this.blockRange;
      }
      enc.appendBits(t, lo, hi);
      s.maxT = t;
      s.lastLo = lo;
      s.lastHi = hi;
      this.samples++;
      return "ok";
    }
    if (t === s.maxT) return lo === s.lastLo && hi === s.lastHi ? "same" : "duplicate";
    if (!(t >= s.maxT - oooWindow)) return "too-old";
    let ooo = s.ooo;
    if (!ooo) ooo = s.ooo = new SampleBuffer(4);
    // Binary search for the insertion point.
    let a = 0;
    let b = ooo.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (ooo.t[mid]! < t) a = mid + 1;
      else b = mid;
    }
    if (a < ooo.length && ooo.t[a] === t) return ooo.lo(a) === lo && ooo.hi(a) === hi ? "same" : "duplicate";
    ooo.reserve(1);
    ooo.t.copyWithin(a + 1, a, ooo.length);
    ooo.v.copyWithin(a + 1, a, ooo.length);
    ooo.length++;
    ooo.t[a] = t;
    ooo.vBits[2 * a + LO] = lo;
    ooo.vBits[2 * a + HI] = hi;
    this.samples++;
    return "ok";
  }

  /**
   * The series' samples in [mint, maxt], sorted; in-order data wins over out-of-order duplicates.
   * With `seriesCache`, the in-order samples are views over the series' cached columns when it
   * serves the read; otherwise closed chunks go through `cache` when given (the open one is still
   * changing). Out-of-order samples in the range are merged in (a copy).
   */
  read(s: HeadSeries, mint: number, maxt: number, arena?: SampleArena, cache?: DecodedChunkCache, seriesCache?: DecodedSeriesCache): SampleBuffer {
    const inOrder = seriesCache?.read(s, mint, maxt) ?? this.decodeInOrder(s, mint, maxt, arena, cache);
    const ooo = s.ooo;
    if (!ooo || ooo.length === 0) return inOrder;
    let oooFrom = 0;
    while (oooFrom < ooo.length && ooo.t[oooFrom]! < mint) oooFrom++;
    let oooTo = oooFrom;
    while (oooTo < ooo.length && ooo.t[oooTo]! <= maxt) oooTo++;
    if (oooTo === oooFrom) return inOrder;
    const merged = arena ? arena.buffer(inOrder.length + oooTo - oooFrom) : new SampleBuffer(inOrder.length + oooTo - oooFrom);
    mergeTwoInto(inOrder, 0, inOrder.length, ooo, oooFrom, oooTo, merged);
    return merged;
  }

  /** The series' in-order samples (chunks) in [mint, maxt], decoded into a buffer of their own. */
  private decodeInOrder(s: HeadSeries, mint: number, maxt: number, arena?: SampleArena, cache?: DecodedChunkCache): SampleBuffer {
    // Closed chunks are in time order: the ones overlapping [mint, maxt] are a run from..to-1.
    const chunks = s.chunks;
    let from = 0;
    while (from < chunks.length && chunks[from]!.maxt < mint) from++;
    let to = from;
    let capacity = 0;
    while (to < chunks.length && chunks[to]!.mint <= maxt) capacity += chunks[to++]!.count;
    const open = s.open && s.open.count > 0 && s.open.maxt >= mint && s.open.mint <= maxt ? s.open : undefined;
    if (open) capacity += open.count;
    const inOrder = arena ? arena.buffer(capacity) : new SampleBuffer(capacity);
    for (let i = from; i < to; i++) {
      const c = chunks[i]!;
      if (cache) cache.decode(c.key, c.bytes, inOrder, mint, maxt);
      else decodeChunk(c.bytes, inOrder, mint, maxt);
    }
    if (open) decodeChunk(open.view(), inOrder, mint, maxt);
    return inOrder;
  }

  /** Whether the series has any sample in [mint, maxt]. */
  hasData(s: HeadSeries, mint: number, maxt: number): boolean {
    for (const c of s.chunks) if (c.maxt >= mint && c.mint <= maxt) return true;
    if (s.open && s.open.count > 0 && s.open.maxt >= mint && s.open.mint <= maxt) return true;
    if (s.ooo) for (let i = 0; i < s.ooo.length; i++) if (s.ooo.t[i]! >= mint && s.ooo.t[i]! <= maxt) return true;
    return false;
  }

  /** Head series of the user matching the matchers. */
  select(userId: string, matchers: readonly CompiledMatcher[]): HeadSeries[] {
    const user = this.users.get(userId);
    if (!user) return [];
    const out: HeadSeries[] = [];
    for (const ref of user.index.select(matchers)) {
      const s = user.byRef.get(ref);
      if (s) out.push(s);
    }
    return out;
  }

  /** Oldest and newest in-order sample times in the head, plus the oldest out-of-order one. */
  timeRange(): { minT: number; maxT: number; minOoo: number } {
    let minT = Infinity;
    let maxT = -Infinity;
    let minOoo = Infinity;
    for (const s of this.refs.values()) {
      const first = s.chunks[0] ?? s.open;
      if (first && first.count > 0 && first.mint < minT) minT = first.mint;
      if (s.open && s.open.count > 0 && s.maxT > maxT) maxT = s.maxT;
      if (s.ooo && s.ooo.length > 0 && s.ooo.t[0]! < minOoo) minOoo = s.ooo.t[0]!;
    }
    return { minT, maxT, minOoo };
  }

  /**
   * The data older than `before` (exclusive), as chunks per series, ready to be written to a
   * block. In-order chunks are copied as they are unless out-of-order samples must be merged in.
   */
  collectBefore(before: number): Array<{ userId: string; labels: Labels; chunks: StoredChunk[] }> {
    const out: Array<{ userId: string; labels: Labels; chunks: StoredChunk[] }> = [];
    for (const s of this.refs.values()) {
      const chunks: StoredChunk[] = s.chunks.filter((c) => c.maxt < before);
      if (s.open && s.open.count > 0 && s.open.maxt < before) chunks.push({ mint: s.open.mint, maxt: s.open.maxt, count: s.open.count, bytes: s.open.bytes() });
      const ooo = s.ooo;
      let oooCount = 0;
      if (ooo) while (oooCount < ooo.length && ooo.t[oooCount]! < before) oooCount++;
      if (oooCount === 0) {
        if (chunks.length > 0) out.push({ userId: s.userId, labels: s.labels, chunks });
        continue;
      }
      const inOrder = new SampleBuffer(64);
      for (const c of chunks) decodeChunk(c.bytes, inOrder);
      const extra = new SampleBuffer(oooCount);
      for (let i = 0; i < oooCount; i++) extra.pushFrom(ooo!, i);
      out.push({ userId: s.userId, labels: s.labels, chunks: encodeChunks(mergeSorted([inOrder, extra]), this.blockRange) });
    }
    return out;
  }

  /** Drops data older than `before` (after it has been persisted) and series left empty. */
  truncateBefore(before: number): void {
    const emptied = new Map<string, number[]>();
    for (const s of this.refs.values()) {
      if (s.open && s.open.count > 0 && s.open.maxt < before) {
        s.chunks.push({ mint: s.open.mint, maxt: s.open.maxt, count: s.open.count, bytes: this.arena.copy(s.open.view()), key: reserveChunkKeys(1) });
        s.open = null;
        s.openEnd = -Infinity;
      }
      let drop = 0;
      while (drop < s.chunks.length && s.chunks[drop]!.maxt < before) this.samples -= s.chunks[drop++]!.count;
      if (drop > 0) s.chunks = s.chunks.slice(drop);
      const ooo = s.ooo;
      if (ooo) {
        let n = 0;
        while (n < ooo.length && ooo.t[n]! < before) n++;
        if (n > 0) {
          ooo.t.copyWithin(0, n, ooo.length);
          ooo.v.copyWithin(0, n, ooo.length);
          ooo.length -= n;
          this.samples -= n;
        }
        if (ooo.length === 0) s.ooo = null;
      }
      if (s.chunks.length === 0 && s.open === null && s.ooo === null) {
        const list = emptied.get(s.userId);
        if (list) list.push(s.ref);
        else emptied.set(s.userId, [s.ref]);
      }
    }
    for (const [userId, refs] of emptied) this.removeSeries(userId, refs);
  }

  private removeSeries(userId: string, refs: number[]): void {
    const user = this.users.get(userId);
    if (!user) return;
    refs.sort((a, b) => a - b);
    for (const ref of refs) {
      const s = user.byRef.get(ref);
      if (!s) continue;
      s.removed = true;
      s.next = null;
      user.byRef.delete(ref);
      user.series.delete(s.key);
      const same = user.byHash.get(s.hash);
      if (Array.isArray(same)) {
        const rest = same.filter((x) => x !== s);
        if (rest.length === 1) user.byHash.set(s.hash, rest[0]!);
        else user.byHash.set(s.hash, rest);
      } else user.byHash.delete(s.hash);
      this.refs.delete(ref);
    }
    user.index.remove(refs);
    if (user.series.size === 0) this.users.delete(userId);
  }

  deleteUser(userId: string): void {
    const user = this.users.get(userId);
    if (!user) return;
    for (const s of user.series.values()) {
      s.removed = true;
      this.samples -= countSamples(s);
      // Caches may still point at the object (by its frozen labels, as a guess): keep nothing big alive.
      s.chunks = [];
      s.open = null;
      s.ooo = null;
      s.next = null;
      this.refs.delete(s.ref);
    }
    this.users.delete(userId);
  }
}

export function countSamples(s: HeadSeries): number {
  let n = s.open?.count ?? 0;
  for (const c of s.chunks) n += c.count;
  return n + (s.ooo?.length ?? 0);
}
