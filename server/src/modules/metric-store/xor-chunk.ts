/**
 * Gorilla-style chunk encoding (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series
 * Database", VLDB 2015), with the timestamp buckets Prometheus documents. Pure, no I/O.
 *
 * Layout: 2 bytes sample count (big endian), then a bit stream:
 *  - sample 0: timestamp as the 64 bits of its float64, value as its 64 bits;
 *  - sample 1: the timestamp delta, encoded like a delta-of-delta below;
 *  - sample n >= 2: delta-of-delta `dod = (t_n - t_{n-1}) - (t_{n-1} - t_{n-2})`:
 *    `0` when dod = 0; `10` + 14 bits, `110` + 17 bits, `1110` + 20 bits for dod in
 *    [-(2^(k-1)-1), 2^(k-1)]; else `1111` + the 64 bits of dod as a float64;
 *  - values after the first: XOR with the previous value's bits; `0` when equal; else `1` then
 *    `0` + the meaningful bits when they fit the previous leading/trailing-zero window, or
 *    `1` + 5 bits leading zeros (capped at 31) + 6 bits meaningful length (64 as 0) + the bits.
 * Timestamps are integer milliseconds (safe integers). Values keep their exact bits (NaN payloads).
 */
import { BitWriter } from "#server/modules/metric-store/bits.ts";

export const CHUNK_HEADER_BYTES = 2;
export const MAX_CHUNK_SAMPLES = 120;

const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);
/** Index of the low and high 32-bit halves of a float64 in a Uint32Array view (platform endianness). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const LO = LITTLE_ENDIAN ? 0 : 1;
export const HI = LITTLE_ENDIAN ? 1 : 0;

/** The bits of a float64 as [lo, hi] 32-bit words. */
export function floatBits(v: number): [number, number] {
  scratchF64[0] = v;
  return [scratchU32[LO]!, scratchU32[HI]!];
}

export function bitsToFloat(lo: number, hi: number): number {
  scratchU32[LO] = lo;
  scratchU32[HI] = hi;
  return scratchF64[0]!;
}

function clz64(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

function ctz64(hi: number, lo: number): number {
  return lo !== 0 ? ctz32(lo) : 32 + ctz32(hi);
}

export class XorChunkEncoder {
  readonly w: BitWriter;
  count = 0;
  mint = 0;
  maxt = 0;
  private prevDelta = 0;
  private prevLo = 0;
  private prevHi = 0;
  private leading = 0xff;
  private trailing = 0;

  constructor(initialBytes = 48) {
    this.w = new BitWriter(initialBytes, CHUNK_HEADER_BYTES);
  }

  /** Empties the chunk, keeping its buffer (the head reuses one encoder per series). */
  reset(): void {
    this.w.buf.fill(0, 0, (this.w.bitLen + 7) >>> 3);
    this.w.bitLen = CHUNK_HEADER_BYTES * 8;
    this.count = 0;
    this.mint = 0;
    this.maxt = 0;
    this.prevDelta = 0;
    this.prevLo = 0;
    this.prevHi = 0;
    this.leading = 0xff;
    this.trailing = 0;
  }

  /** Appends a sample; `t` must be greater than the previous timestamp. Value given as its bits. */
  appendBits(t: number, lo: number, hi: number): void {
    const w = this.w;
    if (this.count === 0) {
      const [tlo, thi] = floatBits(t);
      w.writeBits(thi, 32);
      w.writeBits(tlo, 32);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
      this.mint = t;
    } else {
      const delta = t - this.maxt;
      this.writeDod(this.count === 1 ? delta : delta - this.prevDelta);
      this.prevDelta = delta;
      this.writeXor(lo, hi);
    }
    this.maxt = t;
    this.prevLo = lo;
    this.prevHi = hi;
    this.count++;
  }

  append(t: number, v: number): void {
    scratchF64[0] = v;
    this.appendBits(t, scratchU32[LO]!, scratchU32[HI]!);
  }

  // Control bits and the field after them go out in one writeBits call where they fit in 25 bits
  // (the same bits, in the same order, as writing them one after the other).
  private writeDod(dod: number): void {
    const w = this.w;
    if (dod === 0) {
      w.writeBit(0);
    } else if (dod >= -8191 && dod <= 8192) {
      w.writeBits((0b10 << 14) | (dod & 0x3fff), 16);
    } else if (dod >= -65535 && dod <= 65536) {
      w.writeBits((0b110 << 17) | (dod & 0x1ffff), 20);
    } else if (dod >= -524287 && dod <= 524288) {
      w.writeBits((0b1110 << 20) | (dod & 0xfffff), 24);
    } else {
      w.writeBits(0b1111, 4);
      const [lo, hi] = floatBits(dod);
      w.writeBits(hi, 32);
      w.writeBits(lo, 32);
    }
  }

  private writeXor(lo: number, hi: number): void {
    const w = this.w;
    const xlo = (lo ^ this.prevLo) >>> 0;
    const xhi = (hi ^ this.prevHi) >>> 0;
    if (xlo === 0 && xhi === 0) {
      w.writeBit(0);
      return;
    }
    let leading = clz64(xhi, xlo);
    const trailing = ctz64(xhi, xlo);
    if (leading > 31) leading = 31;
    if (this.leading !== 0xff && leading >= this.leading && trailing >= this.trailing) {
      // "10", then the bits inside the previous window (all bits above it are zero).
      const sig = 64 - this.leading - this.trailing;
      if (sig <= 23) w.writeBits((0b10 << sig) | lowBits(xhi, xlo, this.trailing), sig + 2);
      else {
        w.writeBits(0b10, 2);
        writeMeaningful(w, xhi, xlo, this.trailing, sig);
      }
      return;
    }
    this.leading = leading;
    this.trailing = trailing;
    const sig = 64 - leading - trailing;
    // "11", 5 bits of leading zeros, 6 bits of length (64 written as 0).
    w.writeBits((0b11 << 11) | (leading << 6) | (sig & 63), 13);
    writeMeaningful(w, xhi, xlo, trailing, sig);
  }

  /** Encoded bytes (header included), a trimmed copy. */
  bytes(): Uint8Array {
    const out = this.w.bytes();
    out[0] = this.count >>> 8;
    out[1] = this.count & 0xff;
    return out;
  }

  /** The live encoded bytes (header filled in), without copying; valid until the next append. */
  view(): Uint8Array {
    const buf = this.w.buf;
    buf[0] = this.count >>> 8;
    buf[1] = this.count & 0xff;
    return buf.subarray(0, (this.w.bitLen + 7) >>> 3);
  }

  /** Bytes currently used, for memory and size accounting. */
  get byteLength(): number {
    return (this.w.bitLen + 7) >>> 3;
  }
}

/** Bits [trailing, trailing + 32) of the 64-bit value (hi, lo), as an unsigned 32-bit number. */
function lowBits(hi: number, lo: number, trailing: number): number {
  if (trailing >= 32) return hi >>> (trailing - 32);
  if (trailing > 0) return ((lo >>> trailing) | (hi << (32 - trailing))) >>> 0;
  return lo;
}

/** Writes bits [trailing, trailing + sig) of the 64-bit value (hi, lo). */
function writeMeaningful(w: BitWriter, hi: number, lo: number, trailing: number, sig: number): void {
  let shi: number;
  let slo: number;
  if (trailing >= 32) {
    slo = hi >>> (trailing - 32);
    shi = 0;
  } else if (trailing > 0) {
    slo = ((lo >>> trailing) | (hi << (32 - trailing))) >>> 0;
    shi = hi >>> trailing;
  } else {
    slo = lo;
    shi = hi;
  }
  if (sig > 32) {
    w.writeBits(shi, sig - 32);
    w.writeBits(slo, 32);
  } else {
    w.writeBits(slo, sig);
  }
}

export function chunkSampleCount(chunk: Uint8Array): number {
  return ((chunk[0] ?? 0) << 8) | (chunk[1] ?? 0);
}

/**
 * The 32 bits of `buf` starting at bit `pos`, as an int32 (kept in int32 range so optimised code
 * never boxes it). Bytes past the end read as undefined, which the bit operators turn into 0:
 * the decoder checks its position against the end once per sample instead of on every read.
 */
function word32(buf: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const shift = pos & 7;
  const word = (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
  return shift === 0 ? word : (word << shift) | (buf[i + 4]! >>> (8 - shift));
}

/** Bits [pos, pos + n) of `buf` as a number, for 1 <= n <= 31. */
function bitsAt(buf: Uint8Array, pos: number, n: number): number {
  return word32(buf, pos) >>> (32 - n);
}

/** Bits [pos, pos + n) for 1 <= n <= 32, the 32-bit case as an int32 with the same bits. */
function bitsUpTo32(buf: Uint8Array, pos: number, n: number): number {
  return n === 32 ? word32(buf, pos) : bitsAt(buf, pos, n);
}

function signed(bits: number, size: number): number {
  return bits > 1 << (size - 1) ? bits - (1 << size) : bits;
}

/**
 * Decodes a chunk, appending samples with mint <= t <= maxt to `out` at `out.length`.
 * Values are written as bits into `out.vBits` so NaN payloads survive (as int32 words: the
 * Uint32Array stores the same bits). The bit position lives in a local and every read is one
 * 32-bit window, which keeps this loop free of calls V8 cannot inline and of boxed numbers: the
 * query path decodes every sample it reads through here.
 */
export function decodeChunk(chunk: Uint8Array, out: SampleBuffer, mint = -Infinity, maxt = Infinity): void {
  const n = chunkSampleCount(chunk);
  if (n === 0) return;
  out.reserve(n);
  out.length = decodeChunkInto(chunk, out.t, out.vBits, out.length, mint, maxt);
}

/**
 * `decodeChunk` into bare columns: timestamps into `times` and value bits into `bits` (two words
 * per sample) from sample index `at`, which must leave room for the whole chunk. Returns the
 * index after the last sample written.
 */
export function decodeChunkInto(chunk: Uint8Array, times: Float64Array, bits: Uint32Array, at: number, mint = -Infinity, maxt = Infinity): number {
  const n = chunkSampleCount(chunk);
  if (n === 0) return at;
  const end = chunk.length * 8;
  let pos = CHUNK_HEADER_BYTES * 8;
  if (pos + 128 > end) throw new RangeError("bit stream exhausted");
  let length = at;
  let t = bitsToFloat(word32(chunk, pos + 32), word32(chunk, pos));
  let hi = word32(chunk, pos + 64);
  let lo = word32(chunk, pos + 96);
  pos += 128;
  if (t >= mint && t <= maxt) {
    times[length] = t;
    bits[2 * length + LO] = lo;
    bits[2 * length + HI] = hi;
    length++;
  }
  let delta = 0;
  let leading = 0;
  let trailing = 0;
  for (let i = 1; i < n; i++) {
    // Delta of delta: 0 | 10 + 14 bits | 110 + 17 bits | 1110 + 20 bits | 1111 + float64 bits.
    const prefix = bitsAt(chunk, pos, 4);
    let dod: number;
    if (prefix < 0b1000) {
      dod = 0;
      pos += 1;
    } else if (prefix < 0b1100) {
      dod = signed(bitsAt(chunk, pos + 2, 14), 14);
      pos += 16;
    } else if (prefix < 0b1110) {
      dod = signed(bitsAt(chunk, pos + 3, 17), 17);
      pos += 20;
    } else if (prefix === 0b1110) {
      dod = signed(bitsAt(chunk, pos + 4, 20), 20);
      pos += 24;
    } else {
      dod = bitsToFloat(word32(chunk, pos + 36), word32(chunk, pos + 4));
      pos += 68;
    }
    delta = i === 1 ? dod : delta + dod;
    t += delta;
    // Value: 0 (same) | 10 + meaningful bits (previous window) | 11 + 5 bits leading + 6 bits length + bits.
    const control = bitsAt(chunk, pos, 2);
    if (control < 0b10) {
      pos += 1;
    } else {
      let sig: number;
      if (control === 0b11) {
        const header = bitsAt(chunk, pos + 2, 11);
        leading = header >>> 6;
        sig = header & 63;
        if (sig === 0) sig = 64;
        trailing = 64 - leading - sig;
        pos += 13;
      } else {
        sig = 64 - leading - trailing;
        pos += 2;
      }
      let xhi: number;
      let xlo: number;
      if (sig > 32) {
        xhi = bitsUpTo32(chunk, pos, sig - 32);
        xlo = word32(chunk, pos + sig - 32);
      } else {
        xhi = 0;
        xlo = bitsUpTo32(chunk, pos, sig);
      }
      pos += sig;
      // shift (xhi, xlo) left by `trailing`
      if (trailing >= 32) {
        xhi = xlo << (trailing - 32);
        xlo = 0;
      } else if (trailing > 0) {
        xhi = (xhi << trailing) | (xlo >>> (32 - trailing));
        xlo = xlo << trailing;
      }
      hi ^= xhi;
      lo ^= xlo;
    }
    if (pos > end) throw new RangeError("bit stream exhausted");
    if (t > maxt) break;
    if (t >= mint) {
      times[length] = t;
      bits[2 * length + LO] = lo;
      bits[2 * length + HI] = hi;
      length++;
    }
  }
  return length;
}

/** Room for every sample of `chunks`, so decoding them never grows the buffer. */
export function sampleCapacity(chunks: ReadonlyArray<{ count: number }>): number {
  let n = 0;
  for (const c of chunks) n += c.count;
  return n;
}

/** Arena blocks start small (a one-series read stays small) and double up to this many samples. */
const ARENA_MAX_BLOCK_SAMPLES = 65_536;

/**
 * Hands out sample buffers carved from large shared blocks. A query decodes thousands of short
 * series, and allocating two typed arrays per series costs about as much as decoding it.
 */
export class SampleArena {
  private t = new Float64Array(0);
  private v = new Float64Array(0);
  private used = 0;
  private nextBlock = 1024;

  /** A buffer with room for `capacity` samples (it still grows on its own past that). */
  buffer(capacity: number): SampleBuffer {
    if (this.used + capacity > this.t.length) {
      const size = Math.max(capacity, this.nextBlock);
      this.nextBlock = Math.min(2 * this.nextBlock, ARENA_MAX_BLOCK_SAMPLES);
      this.t = new Float64Array(size);
      this.v = new Float64Array(size);
      this.used = 0;
    }
    const end = this.used + capacity;
    const out = SampleBuffer.over(this.t.subarray(this.used, end), this.v.subarray(this.used, end));
    this.used = end;
    return out;
  }
}

/** A growable pair of columns (timestamps, value bits) used for decoding and merging. */
export class SampleBuffer {
  t: Float64Array;
  v: Float64Array;
  vBits: Uint32Array;
  length = 0;
  /** True when the values are known to hold no NaN (so no staleness marker); false: unknown. */
  withoutNaN = false;

  /** A buffer with room for `capacity` samples, or an empty one writing into the given columns (`over`). */
  constructor(capacity = 16, columns?: { t: Float64Array; v: Float64Array }) {
    if (columns) {
      this.t = columns.t;
      this.v = columns.v;
      this.vBits = new Uint32Array(columns.v.buffer, columns.v.byteOffset, columns.v.length * 2);
    } else {
      this.t = new Float64Array(capacity);
      this.v = new Float64Array(capacity);
      this.vBits = new Uint32Array(this.v.buffer);
    }
  }

  /** An empty buffer writing into the given columns (views of equal length). */
  static over(t: Float64Array, v: Float64Array): SampleBuffer {
    return new SampleBuffer(0, { t, v });
  }

  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.t.length) return;
    let size = Math.max(16, this.t.length * 2);
    while (size < need) size *= 2;
    const t = new Float64Array(size);
    t.set(this.t.subarray(0, this.length));
    const v = new Float64Array(size);
    new Uint32Array(v.buffer).set(this.vBits.subarray(0, this.length * 2));
    this.t = t;
    this.v = v;
    this.vBits = new Uint32Array(v.buffer);
  }

  pushBits(t: number, lo: number, hi: number): void {
    if (this.length === this.t.length) this.reserve(1);
    const i = this.length++;
    this.t[i] = t;
    this.vBits[2 * i + LO] = lo;
    this.vBits[2 * i + HI] = hi;
  }

  push(t: number, v: number): void {
    scratchF64[0] = v;
    this.pushBits(t, scratchU32[LO]!, scratchU32[HI]!);
  }

  lo(i: number): number {
    return this.vBits[2 * i + LO]!;
  }

  hi(i: number): number {
    return this.vBits[2 * i + HI]!;
  }

  /** Copies sample `i` of `src` to the end of this buffer, bit-exactly. */
  pushFrom(src: SampleBuffer, i: number): void {
    this.pushBits(src.t[i]!, src.vBits[2 * i + LO]!, src.vBits[2 * i + HI]!);
  }

  /**
   * The columns trimmed to `length`, as views over this buffer's memory (values keep their bits):
   * for a buffer that is handed over, not reused.
   */
  columns(): { timestamps: Float64Array; values: Float64Array } {
    if (this.length === this.t.length) return { timestamps: this.t, values: this.v };
    return { timestamps: this.t.subarray(0, this.length), values: this.v.subarray(0, this.length) };
  }
}

/**
 * Merges sorted sample buffers into one sorted buffer. On equal timestamps the sample from the
 * earliest buffer in `sources` wins. With an arena the merged buffer is carved from it.
 */
export function mergeSorted(sources: SampleBuffer[], arena?: SampleArena): SampleBuffer {
  if (sources.length === 1) return sources[0]!;
  const nonEmpty = sources.filter((s) => s.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0]!;
  if (nonEmpty.length === 0) return arena ? arena.buffer(0) : new SampleBuffer();
  let total = 0;
  for (const s of nonEmpty) total += s.length;
  const out = arena ? arena.buffer(total) : new SampleBuffer(Math.max(16, total));
  // The usual case (a series read from blocks and the head): time ranges that do not overlap.
  // Then the merge is a concatenation in time order, done as block copies.
  if (appendDisjoint(nonEmpty, out)) return out;
  if (nonEmpty.length === 2) {
    mergeTwoInto(nonEmpty[0]!, 0, nonEmpty[0]!.length, nonEmpty[1]!, 0, nonEmpty[1]!.length, out);
    return out;
  }
  const idx = new Array<number>(nonEmpty.length).fill(0);
  for (;;) {
    let best = -1;
    let bestT = Infinity;
    for (let k = 0; k < nonEmpty.length; k++) {
      const s = nonEmpty[k]!;
      const i = idx[k]!;
      if (i < s.length && s.t[i]! < bestT) {
        bestT = s.t[i]!;
        best = k;
      }
    }
    if (best < 0) break;
    out.pushFrom(nonEmpty[best]!, idx[best]!);
    for (let k = 0; k < nonEmpty.length; k++) {
      const s = nonEmpty[k]!;
      while (idx[k]! < s.length && s.t[idx[k]!]! === bestT) idx[k]!++;
    }
  }
  return out;
}

/**
 * Appends the merge of samples aFrom … aTo - 1 of `a` and bFrom … bTo - 1 of `b` (each sorted,
 * without repeated timestamps) to `out`, bit-exactly; on equal timestamps `a`'s sample wins.
 */
export function mergeTwoInto(a: SampleBuffer, aFrom: number, aTo: number, b: SampleBuffer, bFrom: number, bTo: number, out: SampleBuffer): void {
  out.reserve(aTo - aFrom + (bTo - bFrom));
  const ot = out.t;
  const ov = out.vBits;
  const at = a.t;
  const av = a.vBits;
  const bt = b.t;
  const bv = b.vBits;
  let j = out.length;
  let i = aFrom;
  let k = bFrom;
  while (i < aTo && k < bTo) {
    const ta = at[i]!;
    const tb = bt[k]!;
    if (ta <= tb) {
      ot[j] = ta;
      ov[2 * j] = av[2 * i]!;
      ov[2 * j + 1] = av[2 * i + 1]!;
      i++;
      if (ta === tb) k++;
    } else {
      ot[j] = tb;
      ov[2 * j] = bv[2 * k]!;
      ov[2 * j + 1] = bv[2 * k + 1]!;
      k++;
    }
    j++;
  }
  for (; i < aTo; i++, j++) {
    ot[j] = at[i]!;
    ov[2 * j] = av[2 * i]!;
    ov[2 * j + 1] = av[2 * i + 1]!;
  }
  for (; k < bTo; k++, j++) {
    ot[j] = bt[k]!;
    ov[2 * j] = bv[2 * k]!;
    ov[2 * j + 1] = bv[2 * k + 1]!;
  }
  out.length = j;
}

/**
 * Appends `sources` to `out` in time order if their time ranges are disjoint (no timestamp in
 * two of them); returns false, having written nothing, when they overlap.
 */
function appendDisjoint(sources: SampleBuffer[], out: SampleBuffer): boolean {
  const order = sources.length === 2 ? (sources[0]!.t[0]! <= sources[1]!.t[0]! ? sources : [sources[1]!, sources[0]!]) : [...sources].sort((a, b) => a.t[0]! - b.t[0]!);
  let total = order[0]!.length;
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1]!;
    if (!(prev.t[prev.length - 1]! < order[k]!.t[0]!)) return false;
    total += order[k]!.length;
  }
  out.reserve(total);
  for (const s of order) {
    out.t.set(s.t.subarray(0, s.length), out.length);
    out.vBits.set(s.vBits.subarray(0, 2 * s.length), 2 * out.length);
    out.length += s.length;
  }
  return true;
}

/** Encodes sorted samples into chunks of at most `MAX_CHUNK_SAMPLES`, cut at `boundary` multiples if given. */
export function encodeChunks(
  samples: SampleBuffer,
  boundary = 0,
): Array<{ mint: number; maxt: number; count: number; bytes: Uint8Array }> {
  const chunks: Array<{ mint: number; maxt: number; count: number; bytes: Uint8Array }> = [];
  let enc: XorChunkEncoder | null = null;
  let end = Infinity;
  for (let i = 0; i < samples.length; i++) {
    const t = samples.t[i]!;
    if (enc && (enc.count >= MAX_CHUNK_SAMPLES || t >= end)) {
      chunks.push({ mint: enc.mint, maxt: enc.maxt, count: enc.count, bytes: enc.bytes() });
      enc = null;
    }
    if (!enc) {
      enc = new XorChunkEncoder(64);
      end = boundary > 0 ? (Math.floor(t / boundary) + 1) * boundary : Infinity;
    }
    enc.appendBits(t, samples.lo(i), samples.hi(i));
  }
  if (enc) chunks.push({ mint: enc.mint, maxt: enc.maxt, count: enc.count, bytes: enc.bytes() });
  return chunks;
}
