/**
 * Immutable on-disk blocks: `<dir>/blocks/<id>/` with
 *  - `chunks`: "AXCH" + version byte, then every chunk's bytes followed by its CRC-32 (u32 LE);
 *  - `index`: "AXIX" + version byte, a sorted symbol table, then per series its user, labels
 *    (symbol references) and chunk metas (mint, maxt, offset, length, sample count), ending with
 *    a CRC-32 of everything before it. Postings are rebuilt in memory when the block is opened;
 *  - `meta.json`: id, time range, statistics, compaction level and parent blocks.
 * A block is written into `<id>.tmp/`, fsynced and renamed, so it appears whole or not at all.
 * Chunks are read with positioned `fs.readSync` calls (no mmap), one read per series and query.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { Labels } from "#server/modules/metric-store/metric-store.port.ts";
import { LabelIndex, labelsKey } from "#server/modules/metric-store/labels.ts";
import type { StoredChunk } from "#server/modules/metric-store/head.ts";
import { type ChunkKey, type DecodedChunkCache, reserveChunkKeys } from "#server/modules/metric-store/decoded-chunk-cache.ts";

/** A chunk read from a block, with its index in the block's chunk table. */
export type BlockChunk = StoredChunk & { readonly index: number };
import { fsyncDir } from "#server/modules/metric-store/wal.ts";
import { ByteReader, ByteWriter } from "#server/modules/metric-store/varint.ts";
import { SampleBuffer, decodeChunk, sampleCapacity, type SampleArena } from "#server/modules/metric-store/xor-chunk.ts";

const CHUNKS_MAGIC = [0x41, 0x58, 0x43, 0x48, 1];
const INDEX_MAGIC = [0x41, 0x58, 0x49, 0x58, 1];

export type BlockMeta = {
  version: 1;
  id: string;
  minTime: number;
  maxTime: number;
  stats: { numSeries: number; numSamples: number; numChunks: number; numUsers: number };
  level: number;
  parents: string[];
};

export function newBlockId(nowMs: number): string {
  return `${String(Math.max(0, Math.floor(nowMs))).padStart(14, "0")}-${randomBytes(5).toString("hex")}`;
}

function writeFileDurable(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, "w");
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

type IndexEntry = { userId: string; labels: Labels; chunks: Array<{ mint: number; maxt: number; offset: number; len: number; count: number }> };

/** Streams series into a new block; chunks go to disk as they come, the index is written on finish. */
export class BlockWriter {
  private readonly tmpDir: string;
  private readonly finalDir: string;
  private readonly fd: number;
  private offset: number;
  private buffer = new ByteWriter(1 << 20);
  private readonly entries: IndexEntry[] = [];
  private minTime = Infinity;
  private maxTime = -Infinity;
  private samples = 0;
  private chunkCount = 0;
  readonly id: string;

  constructor(blocksDir: string, id: string) {
    this.id = id;
    this.tmpDir = path.join(blocksDir, `${id}.tmp`);
    this.finalDir = path.join(blocksDir, id);
    fs.mkdirSync(this.tmpDir, { recursive: true });
    this.fd = fs.openSync(path.join(this.tmpDir, "chunks"), "w");
    this.buffer.bytes(new Uint8Array(CHUNKS_MAGIC));
    this.offset = CHUNKS_MAGIC.length;
  }

  get seriesCount(): number {
    return this.entries.length;
  }

  addSeries(userId: string, labels: Labels, chunks: readonly StoredChunk[]): void {
    if (chunks.length === 0) return;
    const metas: IndexEntry["chunks"] = [];
    for (const c of chunks) {
      metas.push({ mint: c.mint, maxt: c.maxt, offset: this.offset, len: c.bytes.length, count: c.count });
      this.buffer.bytes(c.bytes);
      this.buffer.u32(crc32(c.bytes));
      this.offset += c.bytes.length + 4;
      if (c.mint < this.minTime) this.minTime = c.mint;
      if (c.maxt > this.maxTime) this.maxTime = c.maxt;
      this.samples += c.count;
      this.chunkCount++;
    }
    this.entries.push({ userId, labels, chunks: metas });
    if (this.buffer.len >= 1 << 20) this.flushBuffer();
  }

  private flushBuffer(): void {
    const data = this.buffer.buf.subarray(0, this.buffer.len);
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    this.buffer.len = 0;
  }

  /** Writes index and meta, makes the block durable and visible; returns its meta (null when empty). */
  finish(level: number, parents: string[]): BlockMeta | null {
    this.flushBuffer();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    if (this.entries.length === 0) {
      fs.rmSync(this.tmpDir, { recursive: true, force: true });
      return null;
    }
    const symbols = new Set<string>();
    const users = new Set<string>();
    for (const e of this.entries) {
      symbols.add(e.userId);
      users.add(e.userId);
      for (const name in e.labels) {
        symbols.add(name);
        symbols.add(e.labels[name]!);
      }
    }
    const sorted = [...symbols].sort();
    const symIndex = new Map(sorted.map((s, i) => [s, i]));
    const w = new ByteWriter(1 << 16);
    w.bytes(new Uint8Array(INDEX_MAGIC));
    w.uvarint(sorted.length);
    for (const s of sorted) w.string(s);
    w.uvarint(this.entries.length);
    for (const e of this.entries) {
      w.uvarint(symIndex.get(e.userId)!);
      const names = Object.keys(e.labels);
      w.uvarint(names.length);
      for (const name of names) {
        w.uvarint(symIndex.get(name)!);
        w.uvarint(symIndex.get(e.labels[name]!)!);
      }
      w.uvarint(e.chunks.length);
      let prev = 0;
      for (const c of e.chunks) {
        w.varint(c.mint - prev);
        w.uvarint(c.maxt - c.mint);
        w.uvarint(c.offset);
        w.uvarint(c.len);
        w.uvarint(c.count);
        prev = c.maxt;
      }
    }
    w.u32(crc32(w.buf.subarray(0, w.len)));
    writeFileDurable(path.join(this.tmpDir, "index"), w.result());
    const meta: BlockMeta = {
      version: 1,
      id: this.id,
      minTime: this.minTime,
      maxTime: this.maxTime,
      stats: { numSeries: this.entries.length, numSamples: this.samples, numChunks: this.chunkCount, numUsers: users.size },
      level,
      parents,
    };
    writeFileDurable(path.join(this.tmpDir, "meta.json"), new TextEncoder().encode(JSON.stringify(meta, null, 2)));
    fsyncDir(this.tmpDir);
    fs.renameSync(this.tmpDir, this.finalDir);
    fsyncDir(path.dirname(this.finalDir));
    return meta;
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}

export type BlockSeries = { labels: Labels; first: number; count: number };

export class BlockUser {
  readonly series: BlockSeries[] = [];
  readonly index = new LabelIndex();
}

/** An opened block: index in memory, chunks read on demand. */
export class Block {
  readonly dir: string;
  /** Cache key of chunk 0; each opened Block takes its own run, so a reopened or replaced block never collides. */
  private readonly firstChunkKey: ChunkKey;
  readonly meta: BlockMeta;
  readonly sizeBytes: number;
  readonly users = new Map<string, BlockUser>();
  private readonly cMint: Float64Array;
  private readonly cMaxt: Float64Array;
  private readonly cOffset: Float64Array;
  private readonly cLen: Uint32Array;
  private readonly cCount: Uint32Array;
  private fd: number;

  constructor(dir: string) {
    this.dir = dir;
    this.meta = JSON.parse(fs.readFileSync(path.join(dir, "meta.json"), "utf8")) as BlockMeta;
    const index = fs.readFileSync(path.join(dir, "index"));
    if (index.length < INDEX_MAGIC.length + 4 || INDEX_MAGIC.some((b, i) => index[i] !== b)) throw new Error(`block ${dir}: bad index header`);
    const body = index.subarray(0, index.length - 4);
    if (crc32(body) !== index.readUInt32LE(index.length - 4)) throw new Error(`block ${dir}: index checksum mismatch`);
    const r = new ByteReader(body, INDEX_MAGIC.length);
    const symbols: string[] = [];
    for (let i = r.uvarint(); i > 0; i--) symbols.push(r.string());
    const sym = (): string => {
      const s = symbols[r.uvarint()];
      if (s === undefined) throw new Error(`block ${dir}: bad symbol reference`);
      return s;
    };
    const numSeries = r.uvarint();
    const n = this.meta.stats.numChunks;
    this.firstChunkKey = reserveChunkKeys(n);
    this.cMint = new Float64Array(n);
    this.cMaxt = new Float64Array(n);
    this.cOffset = new Float64Array(n);
    this.cLen = new Uint32Array(n);
    this.cCount = new Uint32Array(n);
    let ci = 0;
    for (let i = 0; i < numSeries; i++) {
      const userId = sym();
      const labels: Record<string, string> = {};
      for (let k = r.uvarint(); k > 0; k--) {
        const name = sym();
        labels[name] = sym();
      }
      const count = r.uvarint();
      const first = ci;
      let prev = 0;
      for (let k = 0; k < count; k++) {
        if (ci >= n) throw new Error(`block ${dir}: more chunks than meta.json says`);
        const mint = prev + r.varint();
        const maxt = mint + r.uvarint();
        this.cMint[ci] = mint;
        this.cMaxt[ci] = maxt;
        this.cOffset[ci] = r.uvarint();
        this.cLen[ci] = r.uvarint();
        this.cCount[ci] = r.uvarint();
        prev = maxt;
        ci++;
      }
      let user = this.users.get(userId);
      if (!user) this.users.set(userId, (user = new BlockUser()));
      user.index.add(user.series.length, labels);
      user.series.push({ labels, first, count });
    }
    this.fd = fs.openSync(path.join(dir, "chunks"), "r");
    let size = 0;
    for (const f of ["chunks", "index", "meta.json"]) size += fs.statSync(path.join(dir, f)).size;
    this.sizeBytes = size;
  }

  get id(): string {
    return this.meta.id;
  }

  overlaps(mint: number, maxt: number): boolean {
    return this.meta.maxTime >= mint && this.meta.minTime <= maxt;
  }

  hasData(s: BlockSeries, mint: number, maxt: number): boolean {
    for (let i = s.first; i < s.first + s.count; i++) if (this.cMaxt[i]! >= mint && this.cMint[i]! <= maxt) return true;
    return false;
  }

  private scratch = Buffer.alloc(0);

  /*
   * One read buffer per block, reused: a read decodes its chunks before the next read starts (the
   * returned chunk bytes are views into it, valid until the next call), and a fresh buffer per
   * series read was most of what reads left for the garbage collector.
   */
  private readBuffer(size: number): Buffer {
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, 2 * this.scratch.length, 4096));
    return this.scratch.subarray(0, size);
  }

  /**
   * The series' chunks overlapping [mint, maxt], read in one positioned read and CRC-checked.
   * The bytes are views into a buffer the next read reuses: copy them to keep them.
   */
  readChunks(s: BlockSeries, mint = -Infinity, maxt = Infinity): BlockChunk[] {
    let a = -1;
    let b = -1;
    for (let i = s.first; i < s.first + s.count; i++) {
      if (this.cMaxt[i]! >= mint && this.cMint[i]! <= maxt) {
        if (a < 0) a = i;
        b = i;
      }
    }
    if (a < 0) return [];
    const start = this.cOffset[a]!;
    const end = this.cOffset[b]! + this.cLen[b]! + 4;
    const buf = this.readBuffer(end - start);
    let got = 0;
    while (got < buf.length) {
      const n = fs.readSync(this.fd, buf, got, buf.length - got, start + got);
      if (n === 0) throw new Error(`block ${this.dir}: chunks file is truncated`);
      got += n;
    }
    const out: BlockChunk[] = [];
    for (let i = a; i <= b; i++) {
      if (!(this.cMaxt[i]! >= mint && this.cMint[i]! <= maxt)) continue;
      const off = this.cOffset[i]! - start;
      const len = this.cLen[i]!;
      const bytes = buf.subarray(off, off + len);
      if (crc32(bytes) !== buf.readUInt32LE(off + len)) throw new Error(`block ${this.dir}: chunk checksum mismatch`);
      out.push({ mint: this.cMint[i]!, maxt: this.cMaxt[i]!, count: this.cCount[i]!, bytes, index: i });
    }
    return out;
  }

  /**
   * The series' samples in [mint, maxt]. With a cache, chunks decoded before are served from it,
   * and the file is not read at all when every chunk needed is cached.
   */
  read(s: BlockSeries, mint: number, maxt: number, arena?: SampleArena, cache?: DecodedChunkCache): SampleBuffer {
    const buffer = (capacity: number): SampleBuffer => (arena ? arena.buffer(capacity) : new SampleBuffer(capacity));
    if (cache) {
      let capacity = 0;
      let allCached = true;
      for (let i = s.first; i < s.first + s.count; i++) {
        if (!(this.cMaxt[i]! >= mint && this.cMint[i]! <= maxt)) continue;
        capacity += this.cCount[i]!;
        if (!cache.has(this.chunkKey(i))) allCached = false;
      }
      if (allCached) {
        const out = buffer(capacity);
        for (let i = s.first; i < s.first + s.count; i++) {
          if (this.cMaxt[i]! >= mint && this.cMint[i]! <= maxt) cache.decode(this.chunkKey(i), undefined, out, mint, maxt);
        }
        return out;
      }
    }
    const chunks = this.readChunks(s, mint, maxt);
    const out = buffer(sampleCapacity(chunks));
    for (const c of chunks) {
      if (cache) cache.decode(this.chunkKey(c.index), c.bytes, out, mint, maxt);
      else decodeChunk(c.bytes, out, mint, maxt);
    }
    return out;
  }

  /** Names chunk `i` of this block instance for the decoded-chunk cache. */
  private chunkKey(i: number): ChunkKey {
    return this.firstChunkKey + i;
  }

  seriesKey(s: BlockSeries): string {
    return labelsKey(s.labels);
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
