/**
 * Write-ahead log under `<dir>/wal/`: numbered segment files of framed records
 * `[u32 LE payload length][u32 LE CRC-32 of payload][payload = type byte + body]`.
 *
 * Records: 1 series (ref, user, labels), 2 samples (n × [u32 ref, f64 t, u32 lo, u32 hi]),
 * 3 delete user, 4 chunk (ref + Gorilla chunk bytes; only in checkpoints).
 *
 * Group commit: appenders put records in a pending buffer and await `commit()`; one writer loop
 * writes everything pending with a single write + fdatasync and resolves every waiter of that
 * group, while records logged meanwhile form the next group.
 *
 * Checkpoint: a snapshot of the head (series + chunk records) written to `checkpoint.N` (tmp +
 * fsync + rename) when the head has been persisted to a block; segments before N are deleted.
 * Replay reads the newest checkpoint, then segments >= N, and stops at the first torn or
 * corrupt record, truncating the file there (a crash can only tear the tail).
 */
import fs from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import type { Labels } from "#server/modules/metric-store/metric-store.port.ts";
import { ByteReader, ByteWriter } from "#server/modules/metric-store/varint.ts";

const REC_SERIES = 1;
const REC_SAMPLES = 2;
const REC_DELETE_USER = 3;
const REC_CHUNK = 4;
const FRAME = 8;
const SAMPLE_BYTES = 20;

export type WalHandler = {
  series(ref: number, userId: string, labels: Labels): void;
  sample(ref: number, t: number, lo: number, hi: number): void;
  deleteUser(userId: string): void;
  chunk(ref: number, bytes: Uint8Array): void;
};

/** Encodes records into a ByteWriter, each framed with length and CRC. */
export class RecordWriter {
  w = new ByteWriter(64 * 1024);
  private start = 0;

  get length(): number {
    return this.w.len;
  }

  private begin(type: number): void {
    this.start = this.w.len;
    this.w.ensure(FRAME + 1);
    this.w.len += FRAME;
    this.w.u8(type);
  }

  private end(): void {
    const payloadLen = this.w.len - this.start - FRAME;
    this.w.view.setUint32(this.start, payloadLen, true);
    this.w.view.setUint32(this.start + 4, crc32(this.w.buf.subarray(this.start + FRAME, this.w.len)), true);
  }

  series(ref: number, userId: string, labels: Labels): void {
    this.begin(REC_SERIES);
    this.w.uvarint(ref);
    this.w.string(userId);
    const names = Object.keys(labels);
    this.w.uvarint(names.length);
    for (const name of names) {
      this.w.string(name);
      this.w.string(labels[name]!);
    }
    this.end();
  }

  /** Samples given as parallel columns, `n` of them. */
  samples(n: number, refs: ArrayLike<number>, ts: ArrayLike<number>, los: ArrayLike<number>, his: ArrayLike<number>): void {
    if (n === 0) return;
    this.begin(REC_SAMPLES);
    const w = this.w;
    w.ensure(4 + n * SAMPLE_BYTES);
    const view = w.view;
    let p = w.len;
    view.setUint32(p, n, true);
    p += 4;
    for (let i = 0; i < n; i++) {
      view.setUint32(p, refs[i]!, true);
      view.setFloat64(p + 4, ts[i]!, true);
      view.setUint32(p + 12, los[i]!, true);
      view.setUint32(p + 16, his[i]!, true);
      p += SAMPLE_BYTES;
    }
    w.len = p;
    this.end();
  }

  deleteUser(userId: string): void {
    this.begin(REC_DELETE_USER);
    this.w.string(userId);
    this.end();
  }

  chunk(ref: number, bytes: Uint8Array): void {
    this.begin(REC_CHUNK);
    this.w.uvarint(ref);
    this.w.bytes(bytes);
    this.end();
  }

  /** The encoded bytes (a view) and a fresh buffer, sized like the last one, for the next records. */
  take(): Uint8Array {
    const out = this.w.buf.subarray(0, this.w.len);
    this.w = new ByteWriter(Math.max(64 * 1024, Math.min(this.w.buf.length, 16 * 1024 * 1024)));
    return out;
  }
}

/** Decodes framed records from `buf`; returns the offset where decoding stopped and whether it was clean. */
export function decodeRecords(buf: Uint8Array, handler: WalHandler): { offset: number; clean: boolean } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.length) {
    if (off + FRAME + 1 > buf.length) return { offset: off, clean: false };
    const len = view.getUint32(off, true);
    if (len < 1 || off + FRAME + len > buf.length) return { offset: off, clean: false };
    const payload = buf.subarray(off + FRAME, off + FRAME + len);
    if (crc32(payload) !== view.getUint32(off + 4, true)) return { offset: off, clean: false };
    try {
      applyRecord(payload, handler);
    } catch (error) {
      if (error instanceof RangeError) return { offset: off, clean: false };
      throw error;
    }
    off += FRAME + len;
  }
  return { offset: off, clean: true };
}

function applyRecord(payload: Uint8Array, handler: WalHandler): void {
  const r = new ByteReader(payload, 1);
  switch (payload[0]) {
    case REC_SERIES: {
      const ref = r.uvarint();
      const userId = r.string();
      const n = r.uvarint();
      const labels: Record<string, string> = {};
      for (let i = 0; i < n; i++) {
        const name = r.string();
        labels[name] = r.string();
      }
      handler.series(ref, userId, labels);
      return;
    }
    case REC_SAMPLES: {
      const n = r.u32();
      if (r.pos + n * SAMPLE_BYTES > payload.length) throw new RangeError("short samples record");
      const view = r.view;
      let p = r.pos;
      for (let i = 0; i < n; i++) {
        handler.sample(view.getUint32(p, true), view.getFloat64(p + 4, true), view.getUint32(p + 12, true), view.getUint32(p + 16, true));
        p += SAMPLE_BYTES;
      }
      return;
    }
    case REC_DELETE_USER:
      handler.deleteUser(r.string());
      return;
    case REC_CHUNK: {
      const ref = r.uvarint();
      handler.chunk(ref, payload.subarray(r.pos));
      return;
    }
    default:
      throw new RangeError(`unknown record type ${payload[0]}`);
  }
}

const SEGMENT_RE = /^(\d{8})$/;
const CHECKPOINT_RE = /^checkpoint\.(\d{8})$/;
const segName = (n: number): string => String(n).padStart(8, "0");

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

type Group = { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void };

function newGroup(): Group {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  promise.catch(() => {}); // rejections are delivered to the awaiting appenders
  return { promise, resolve, reject };
}

export type WalReplayReport = { segments: number; records: number; repaired: boolean; droppedSegments: number };

export class Wal {
  readonly dir: string;
  private readonly maxSegmentBytes: number;
  private segment = 0;
  private fd = -1;
  private segmentBytes = 0;
  private pending = new RecordWriter();
  private group: Group | null = null;
  private running = false;
  private checkpointRequest: { snapshot: (w: RecordWriter) => void; done: Group } | null = null;
  private failure: unknown = null;
  private idle: Group | null = null;
  private closed = false;

  private constructor(dir: string, maxSegmentBytes: number) {
    this.dir = dir;
    this.maxSegmentBytes = maxSegmentBytes;
  }

  /** Opens the log, replaying every durable record into `handler`, and starts a new segment. */
  static open(dir: string, handler: WalHandler, maxSegmentBytes = 128 * 1024 * 1024): { wal: Wal; report: WalReplayReport } {
    fs.mkdirSync(dir, { recursive: true });
    const wal = new Wal(dir, maxSegmentBytes);
    const report = wal.replay(handler);
    wal.openSegment(wal.segment + 1);
    return { wal, report };
  }

  private listing(): { segments: number[]; checkpoints: number[] } {
    const segments: number[] = [];
    const checkpoints: number[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      const s = SEGMENT_RE.exec(name);
      if (s) segments.push(Number(s[1]));
      const c = CHECKPOINT_RE.exec(name);
      if (c) checkpoints.push(Number(c[1]));
      if (name.endsWith(".tmp")) fs.rmSync(path.join(this.dir, name), { force: true });
    }
    segments.sort((a, b) => a - b);
    checkpoints.sort((a, b) => a - b);
    return { segments, checkpoints };
  }

  private replay(handler: WalHandler): WalReplayReport {
    const { segments, checkpoints } = this.listing();
    const report: WalReplayReport = { segments: 0, records: 0, repaired: false, droppedSegments: 0 };
    const checkpoint = checkpoints.at(-1);
    let first = 0;
    if (checkpoint !== undefined) {
      const result = decodeRecords(fs.readFileSync(path.join(this.dir, `checkpoint.${segName(checkpoint)}`)), handler);
      if (!result.clean) throw new Error(`write-ahead log checkpoint ${checkpoint} is corrupt`);
      first = checkpoint;
      this.segment = checkpoint - 1;
    }
    const live = segments.filter((n) => n >= first);
    for (let i = 0; i < live.length; i++) {
      const n = live[i]!;
      const file = path.join(this.dir, segName(n));
      const buf = fs.readFileSync(file);
      const result = decodeRecords(buf, handler);
      report.segments++;
      this.segment = n;
      if (!result.clean) {
        // A torn tail from a crash (or corruption): keep what decoded, drop the rest.
        fs.truncateSync(file, result.offset);
        report.repaired = true;
        for (const later of live.slice(i + 1)) {
          fs.rmSync(path.join(this.dir, segName(later)), { force: true });
          report.droppedSegments++;
        }
        break;
      }
    }
    return report;
  }

  private openSegment(n: number): void {
    this.segment = n;
    this.fd = fs.openSync(path.join(this.dir, segName(n)), "wx");
    this.segmentBytes = 0;
    fsyncDir(this.dir);
  }

  /** Where new records go; call `commit()` afterwards to make them durable. */
  get records(): RecordWriter {
    if (this.closed) throw new Error("write-ahead log is closed");
    if (this.failure) throw new Error("write-ahead log failed earlier", { cause: this.failure });
    if (!this.group) this.group = newGroup();
    return this.pending;
  }

  /** Resolves once every record logged so far is durable. */
  commit(): Promise<void> {
    const group = this.group;
    if (!group) return this.running ? this.whenIdle() : Promise.resolve();
    this.kick();
    return group.promise;
  }

  /** Writes a checkpoint from `snapshot` (called synchronously with a consistent state) and drops older segments. */
  checkpoint(snapshot: (w: RecordWriter) => void): Promise<void> {
    if (this.checkpointRequest) throw new Error("checkpoint already in progress");
    const done = newGroup();
    this.checkpointRequest = { snapshot, done };
    this.kick();
    return done.promise;
  }

  private whenIdle(): Promise<void> {
    if (!this.idle) this.idle = newGroup();
    return this.idle.promise;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.group || this.checkpointRequest) {
        if (this.checkpointRequest) {
          await this.runCheckpoint(this.checkpointRequest);
          continue;
        }
        const group = this.group!;
        const bytes = this.pending.take();
        this.group = null;
        if (bytes.length === 0) {
          group.resolve();
          continue;
        }
        try {
          await writeAll(this.fd, bytes);
          await datasync(this.fd);
          this.segmentBytes += bytes.length;
          if (this.segmentBytes >= this.maxSegmentBytes) {
            fs.closeSync(this.fd);
            this.openSegment(this.segment + 1);
          }
          group.resolve();
        } catch (error) {
          this.failure = error;
          group.reject(error);
        }
      }
    } finally {
      this.running = false;
      const idle = this.idle;
      this.idle = null;
      idle?.resolve();
    }
  }

  private async runCheckpoint(request: { snapshot: (w: RecordWriter) => void; done: Group }): Promise<void> {
    this.checkpointRequest = null;
    let group: Group | null = null;
    try {
      // Everything logged so far is part of the head, hence of the snapshot taken right now;
      // pending records become durable with the checkpoint instead of a segment.
      group = this.group;
      this.group = null;
      this.pending.take();
      const next = this.segment + 1;
      const w = new RecordWriter();
      request.snapshot(w);
      const bytes = w.take();
      const tmp = path.join(this.dir, `checkpoint.${segName(next)}.tmp`);
      const fd = fs.openSync(tmp, "w");
      try {
        await writeAll(fd, bytes);
        await datasync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, path.join(this.dir, `checkpoint.${segName(next)}`));
      fs.closeSync(this.fd);
      this.openSegment(next); // fsyncs the directory, making the rename durable too
      const { segments, checkpoints } = this.listing();
      for (const n of segments) if (n < next) fs.rmSync(path.join(this.dir, segName(n)), { force: true });
      for (const n of checkpoints) if (n < next) fs.rmSync(path.join(this.dir, `checkpoint.${segName(n)}`), { force: true });
      group?.resolve();
      request.done.resolve();
    } catch (error) {
      this.failure = error;
      group?.reject(error);
      request.done.reject(error);
    }
  }

  /** Bytes of all segments and checkpoints. */
  sizeBytes(): number {
    let total = 0;
    for (const name of fs.readdirSync(this.dir)) {
      try {
        total += fs.statSync(path.join(this.dir, name)).size;
      } catch {
        // removed concurrently
      }
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.commit();
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (offset: number): void => {
      if (offset >= bytes.length) return resolve();
      fs.write(fd, bytes, offset, bytes.length - offset, null, (error, written) => {
        if (error) reject(error);
        else step(offset + written);
      });
    };
    step(0);
  });
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}
