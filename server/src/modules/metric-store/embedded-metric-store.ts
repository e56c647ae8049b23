/**
 * The embedded metric store: head (in memory) + write-ahead log + immutable blocks on disk.
 * See index.ts for the overview and the integration notes.
 */
import fs from "node:fs";
import path from "node:path";
import type {
  AppendOptions,
  AppendResult,
  Labels,
  Matcher,
  MetricStore,
  MetricStoreStats,
  SeriesBatch,
  SeriesData,
  SeriesRejection,
} from "#server/modules/metric-store/metric-store.port.ts";
import { Block, BlockWriter, newBlockId } from "#server/modules/metric-store/block.ts";
import { Head, type HeadSeries, type StoredChunk } from "#server/modules/metric-store/head.ts";
import { type CompiledMatcher, compileMatcher, hashLabels, labelsEqual, labelsKey, normalizeLabels, seriesKey } from "#server/modules/metric-store/labels.ts";
import { Wal, type WalReplayReport } from "#server/modules/metric-store/wal.ts";
import { DecodedChunkCache } from "#server/modules/metric-store/decoded-chunk-cache.ts";
import { DecodedSeriesCache } from "#server/modules/metric-store/decoded-series-cache.ts";
import {
  HI,
  LO,
  SampleArena,
  SampleBuffer,
  decodeChunk,
  encodeChunks,
  mergeSorted,
} from "#server/modules/metric-store/xor-chunk.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export type EmbeddedMetricStoreOptions = {
  /** Data directory, e.g. `./data/tsdb`; holds `wal/` and `blocks/`. */
  dir: string;
  /** Samples older than the series' newest sample by at most this much are accepted (default 0: none). */
  outOfOrderWindowMs?: number;
  /** Blocks entirely older than this are deleted (default 15 days). */
  retentionMs?: number;
  /** When blocks + WAL exceed this many bytes the oldest blocks are deleted (default 0: no limit). */
  retentionBytes?: number;
  /** Samples further than this ahead of `clock` are rejected (default 1 h). */
  futureToleranceMs?: number;
  /** Time range of the head cut into one block (default 2 h). */
  blockRangeMs?: number;
  /** Period of the background maintenance (head → block, compaction, retention); 0 disables it (default 60 s). */
  maintenanceIntervalMs?: number;
  /** Called with errors of background maintenance (which is retried on the next tick). */
  onMaintenanceError?: (error: unknown) => void;
  /**
   * Budget in bytes of decoded chunks kept for repeated queries (default 64 MiB; 0 disables), and
   * the same again for head series kept decoded whole (decoded-series-cache.ts).
   */
  decodedChunkCacheBytes?: number;
  /** WAL segment size before rotation (default 128 MiB). */
  walSegmentBytes?: number;
  clock?: { now(): Date };
};

export type EmbeddedMetricStore = MetricStore & {
  /** One maintenance round: persist old head data to blocks, compact blocks, apply retention. */
  maintain(): Promise<void>;
  /** Persists the whole head to a block (tests, or before a backup); the WAL is checkpointed. */
  flushHead(): Promise<void>;
  /** Merges every block into as few blocks as the compaction levels allow, overlapping ones first. */
  compact(): Promise<void>;
  /** What replaying the write-ahead log found at open. */
  readonly walReplay: WalReplayReport;
};

type Columns = { refs: Uint32Array; ts: Float64Array; los: Uint32Array; his: Uint32Array };

const scratchF64 = new Float64Array(1);
const scratchU32 = new Uint32Array(scratchF64.buffer);

export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  const units: Array<[string, number]> = [["d", DAY], ["h", HOUR], ["m", 60_000], ["s", 1000], ["ms", 1]];
  let rest = ms;
  let out = "";
  for (const [unit, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

export function openEmbeddedMetricStore(options: EmbeddedMetricStoreOptions): EmbeddedMetricStore {
  const dir = options.dir;
  const oooWindow = options.outOfOrderWindowMs ?? 0;
  const retentionMs = options.retentionMs ?? 15 * DAY;
  const retentionBytes = options.retentionBytes ?? 0;
  const blockRange = options.blockRangeMs ?? 2 * HOUR;
  const futureTolerance = options.futureToleranceMs ?? HOUR;
  const clock = options.clock ?? { now: () => new Date() };
  const maxBlockDuration = Math.max(blockRange, Math.min(31 * DAY, Math.floor(retentionMs / 10)));
  const blocksDir = path.join(dir, "blocks");
  fs.mkdirSync(blocksDir, { recursive: true });

  // ---- blocks ------------------------------------------------------------------------------
  let blocks: Block[] = openBlocks(blocksDir);

  // ---- head + WAL replay ----------------------------------------------------------------------
  const head = new Head(blockRange);
  const decodedChunks = new DecodedChunkCache(options.decodedChunkCacheBytes ?? 64 * 1024 * 1024);
  const decodedSeries = new DecodedSeriesCache(options.decodedChunkCacheBytes ?? 64 * 1024 * 1024);
  const aliases = new Map<number, HeadSeries>();
  const replayDeletions = new Set<string>();
  /** Users whose deletion is logged but not yet applied to blocks (kept in checkpoints). */
  const pendingDeletions = new Set<string>();
  const replayBuf = new SampleBuffer(128);
  const { wal, report } = Wal.open(
    path.join(dir, "wal"),
    {
      series(ref, userId, labels) {
        // Later sample records refer to the latest definition of a ref. Refs are never reused,
        // so a ref already bound to another series means damage; never let it mix series.
        aliases.delete(ref);
        const key = labelsKey(labels);
        const current = head.refs.get(ref);
        if (current && current.userId === userId && current.key === key) return;
        const existing = head.lookup(userId, key);
        if (existing) aliases.set(ref, existing);
        else if (current) aliases.set(ref, head.create(userId, labels, key));
        else head.create(userId, labels, key, ref);
      },
      sample(ref, t, lo, hi) {
        const s = aliases.get(ref) ?? head.refs.get(ref);
        if (s) head.append(s, t, lo, hi, Infinity);
      },
      deleteUser(userId) {
        head.deleteUser(userId);
        replayDeletions.add(userId);
      },
      chunk(ref, bytes) {
        const s = aliases.get(ref) ?? head.refs.get(ref);
        if (!s) return;
        replayBuf.length = 0;
        decodeChunk(bytes, replayBuf);
        for (let i = 0; i < replayBuf.length; i++) head.append(s, replayBuf.t[i]!, replayBuf.lo(i), replayBuf.hi(i), Infinity);
      },
    },
    options.walSegmentBytes,
  );
  aliases.clear();

  let closed = false;
  let exclusive: Promise<unknown> = Promise.resolve();
  /** Runs maintenance-type operations one at a time. */
  function serialized<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = exclusive.then(() => {
      if (closed) throw new Error("metric store is closed");
      return fn();
    });
    exclusive = run.catch(() => {});
    return run;
  }

  // A deletion logged before a crash may not have reached the blocks yet: finish it now.
  for (const userId of replayDeletions) pendingDeletions.add(userId);
  if (replayDeletions.size > 0) removeUsersFromBlocks([...replayDeletions]);

  let columns: Columns = allocColumns(4096);
  /**
   * The series a frozen label object named when it was last appended (remote_write hands out one
   * frozen object per distinct label set, request after request): skips hashing and comparing its
   * labels. Checked against the series' user and whether the head still has it.
   */
  const seriesOfFrozenLabels = new WeakMap<Labels, HeadSeries>();
  const TOO_OLD_FOR_WINDOW = `sample too old: out of order window is ${formatDuration(oooWindow)}`;
  const TOO_NEW = `sample too far in the future: more than ${formatDuration(futureTolerance)} ahead of the server clock`;
  const TOO_OLD_FOR_RETENTION = `sample too old: older than the retention period of ${formatDuration(retentionMs)}`;

  function allocColumns(n: number): Columns {
    return { refs: new Uint32Array(n), ts: new Float64Array(n), los: new Uint32Array(n), his: new Uint32Array(n) };
  }

  function assertOpen(): void {
    if (closed) throw new Error("metric store is closed");
  }

  // ---- append ---------------------------------------------------------------------------------
  async function append(userId: string, batch: SeriesBatch, options: AppendOptions = {}): Promise<AppendResult> {
    assertOpen();
    const records = wal.records;
    const now = clock.now().getTime();
    const minValid = now - retentionMs;
    const maxValid = now + futureTolerance;
    let accepted = 0;
    let rejected = 0;
    const rejections: SeriesRejection[] = [];
    let total = 0;
    for (const item of batch) total += item.samples.length;
    if (columns.refs.length < total) columns = allocColumns(Math.max(total, columns.refs.length * 2));
    const { refs, ts, los, his } = columns;
    let n = 0;
    let previous: HeadSeries | undefined;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      // A frozen label set cannot change, so the series it named last time is the one it names now
      // (only frozen objects are ever remembered).
      let s: HeadSeries | undefined = seriesOfFrozenLabels.get(item.labels);
      if (s !== undefined && (s.removed || s.userId !== userId)) s = undefined;
      if (!s && previous !== undefined) {
        // Scrapes list their series in the same order every time: try the series that followed
        // the previous one last time, with the same exact comparison a hash hit gets.
        const guess = previous.next;
        if (guess !== null && !guess.removed && guess.userId === userId && labelsEqual(guess.labels, guess.labelCount, item.labels)) s = guess;
      }
      if (!s) {
        const hash = hashLabels(item.labels);
        s = hash >= 0 ? head.lookupHash(userId, hash, item.labels) : undefined;
        if (!s) {
          const k = seriesKey(item.labels);
          if (typeof k !== "string") {
            if (item.samples.length > 0) rejections.push({ labels: item.labels, rejected: item.samples.length, reason: k.error });
            rejected += item.samples.length;
            continue;
          }
          s = head.lookup(userId, k);
        }
        if (s && Object.isFrozen(item.labels)) seriesOfFrozenLabels.set(item.labels, s);
      }
      if (!s && options.maxActiveSeries !== undefined && (head.user(userId)?.series.size ?? 0) >= options.maxActiveSeries) {
        if (item.samples.length > 0) {
          rejections.push({ labels: item.labels, rejected: item.samples.length, reason: `per-user limit of ${options.maxActiveSeries} active series reached`, seriesLimit: true });
        }
        rejected += item.samples.length;
        continue;
      }
      if (s !== undefined) {
        if (previous !== undefined && previous.next !== s) previous.next = s;
        previous = s;
      }
      let reasons: string[] | null = null;
      const samples = item.samples;
      for (let j = 0; j < samples.length; j++) {
        const sample = samples[j]!;
        const t = sample.t;
        if (!Number.isSafeInteger(t)) {
          (reasons ??= []).push("invalid timestamp: not an integer number of milliseconds");
          continue;
        }
        if (t > maxValid) {
          (reasons ??= []).push(TOO_NEW);
          continue;
        }
        if (t < minValid) {
          (reasons ??= []).push(TOO_OLD_FOR_RETENTION);
          continue;
        }
        if (typeof sample.v !== "number") {
          (reasons ??= []).push("invalid value: not a number");
          continue;
        }
        if (!s) {
          const normalized = normalizeLabels(item.labels);
          if ("error" in normalized) throw new Error("unreachable: labels were validated by seriesKey");
          s = head.create(userId, normalized.labels, normalized.key);
          records.series(s.ref, userId, s.labels);
          if (Object.isFrozen(item.labels)) seriesOfFrozenLabels.set(item.labels, s);
          if (previous !== undefined) previous.next = s;
          previous = s;
        }
        scratchF64[0] = sample.v;
        const lo = scratchU32[LO]!;
        const hi = scratchU32[HI]!;
        const outcome = head.append(s, t, lo, hi, oooWindow);
        if (outcome === "ok") {
          refs[n] = s.ref;
          ts[n] = t;
          los[n] = lo;
          his[n] = hi;
          n++;
          accepted++;
        } else if (outcome === "same") accepted++;
        else if (outcome === "too-old") (reasons ??= []).push(TOO_OLD_FOR_WINDOW);
        else (reasons ??= []).push("duplicate sample for timestamp");
      }
      if (reasons !== null) {
        rejected += reasons.length;
        const counts = new Map<string, number>();
        for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
        for (const [reason, count] of counts) rejections.push({ labels: item.labels, rejected: count, reason });
      }
    }
    records.samples(n, refs, ts, los, his);
    await wal.commit();
    return { accepted, rejected, rejections };
  }

  // ---- reads ----------------------------------------------------------------------------------
  /** Visits every series of the user matching `matchers` in blocks and head. */
  function collect(
    userId: string,
    matchers: readonly CompiledMatcher[],
    mint: number,
    maxt: number,
    withSamples: boolean,
    arena = new SampleArena(),
  ): Map<string, { labels: Labels; parts: SampleBuffer[] }> {
    const found = new Map<string, { labels: Labels; parts: SampleBuffer[] }>();
    const add = (labels: Labels, key: string, part: SampleBuffer | null): void => {
      let entry = found.get(key);
      if (!entry) found.set(key, (entry = { labels, parts: [] }));
      if (part) entry.parts.push(part);
    };
    for (const s of head.select(userId, matchers)) {
      if (withSamples) {
        const buf = head.read(s, mint, maxt, arena, decodedChunks, decodedSeries);
        if (buf.length > 0) add(s.labels, s.key, buf);
      } else if (head.hasData(s, mint, maxt)) add(s.labels, s.key, null);
    }
    for (const block of blocks) {
      if (!block.overlaps(mint, maxt)) continue;
      const user = block.users.get(userId);
      if (!user) continue;
      for (const id of user.index.select(matchers)) {
        const bs = user.series[id]!;
        if (withSamples) {
          const buf = block.read(bs, mint, maxt, arena, decodedChunks);
          if (buf.length > 0) add(bs.labels, block.seriesKey(bs), buf);
        } else if (block.hasData(bs, mint, maxt)) add(bs.labels, block.seriesKey(bs), null);
      }
    }
    return found;
  }

  function compileAll(matchers: readonly Matcher[]): CompiledMatcher[] {
    return matchers.map(compileMatcher);
  }

  async function select(userId: string, matchers: Matcher[], mint: number, maxt: number): Promise<SeriesData[]> {
    assertOpen();
    const arena = new SampleArena();
    const found = collect(userId, compileAll(matchers), mint, maxt, true, arena);
    const out: SeriesData[] = [];
    for (const key of [...found.keys()].sort()) {
      const entry = found.get(key)!;
      // Every part was decoded for this call alone, so the merged columns are handed over uncopied.
      const merged = mergeSorted(entry.parts, arena);
      const { timestamps, values } = merged.columns();
      out.push({ labels: entry.labels, timestamps, values, withoutNaN: merged.withoutNaN });
    }
    return out;
  }

  function seriesLabels(userId: string, matcherSets: Matcher[][], mint: number, maxt: number): Labels[] {
    assertOpen();
    const sets = matcherSets.length === 0 ? [[]] : matcherSets;
    const all = new Map<string, Labels>();
    for (const set of sets) {
      for (const [key, entry] of collect(userId, compileAll(set), mint, maxt, false)) all.set(key, entry.labels);
    }
    return [...all.keys()].sort().map((k) => all.get(k)!);
  }

  async function series(userId: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<Labels[]> {
    return seriesLabels(userId, matcherSets, mint, maxt);
  }

  async function labelNames(userId: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<string[]> {
    const names = new Set<string>();
    for (const labels of seriesLabels(userId, matcherSets, mint, maxt)) for (const name in labels) names.add(name);
    return [...names].sort();
  }

  async function labelValues(userId: string, name: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<string[]> {
    const values = new Set<string>();
    for (const labels of seriesLabels(userId, matcherSets, mint, maxt)) {
      const v = labels[name];
      if (v !== undefined) values.add(v);
    }
    return [...values].sort();
  }

  // ---- head → block ---------------------------------------------------------------------------
  function writeHeadBlock(before: number): void {
    const data = head.collectBefore(before);
    const writer = new BlockWriter(blocksDir, newBlockId(clock.now().getTime()));
    try {
      for (const s of data) writer.addSeries(s.userId, s.labels, s.chunks);
      const meta = writer.finish(1, []);
      if (meta) blocks = sortBlocks([...blocks, new Block(path.join(blocksDir, meta.id))]);
    } catch (error) {
      writer.abort();
      throw error;
    }
    head.truncateBefore(before);
    decodedSeries.pruneRemoved();
  }

  function checkpoint(): Promise<void> {
    return wal.checkpoint((w) => {
      for (const userId of pendingDeletions) w.deleteUser(userId);
      for (const s of head.refs.values()) {
        w.series(s.ref, s.userId, s.labels);
        for (const c of s.chunks) w.chunk(s.ref, c.bytes);
        if (s.open && s.open.count > 0) w.chunk(s.ref, s.open.bytes());
        if (s.ooo && s.ooo.length > 0) {
          const n = s.ooo.length;
          const refs = new Uint32Array(n).fill(s.ref);
          const los = new Uint32Array(n);
          const his = new Uint32Array(n);
          for (let i = 0; i < n; i++) {
            los[i] = s.ooo.lo(i);
            his[i] = s.ooo.hi(i);
          }
          w.samples(n, refs, s.ooo.t, los, his);
        }
      }
    });
  }

  /** Cuts full block ranges out of the head while it spans more than 1.5 block ranges. */
  async function compactHead(): Promise<boolean> {
    let cut = false;
    for (;;) {
      const { minT, maxT } = head.timeRange();
      if (!(maxT - minT >= blockRange * 1.5)) break;
      writeHeadBlock((Math.floor(minT / blockRange) + 1) * blockRange);
      cut = true;
    }
    if (cut) await checkpoint();
    return cut;
  }

  async function flushHead(): Promise<void> {
    const { maxT } = head.timeRange();
    let newest = maxT;
    for (const s of head.refs.values()) if (s.ooo && s.ooo.length > 0) newest = Math.max(newest, s.ooo.t[s.ooo.length - 1]!);
    if (newest === -Infinity) return;
    writeHeadBlock(newest + 1);
    await checkpoint();
  }

  // ---- compaction -----------------------------------------------------------------------------
  /** Writes one block with the merged content of `sources` (minus `excludeUsers`) and removes the sources. */
  function mergeBlocks(sources: Block[], excludeUsers: ReadonlySet<string> = new Set()): void {
    const writer = new BlockWriter(blocksDir, newBlockId(clock.now().getTime()));
    try {
      const userIds = new Set<string>();
      for (const b of sources) for (const u of b.users.keys()) if (!excludeUsers.has(u)) userIds.add(u);
      for (const userId of [...userIds].sort()) {
        const bySeries = new Map<string, { labels: Labels; refs: Array<[Block, number]> }>();
        for (const b of sources) {
          const user = b.users.get(userId);
          if (!user) continue;
          user.series.forEach((s, i) => {
            const key = b.seriesKey(s);
            let entry = bySeries.get(key);
            if (!entry) bySeries.set(key, (entry = { labels: s.labels, refs: [] }));
            entry.refs.push([b, i]);
          });
        }
        for (const key of [...bySeries.keys()].sort()) {
          const entry = bySeries.get(key)!;
          const chunks: StoredChunk[] = [];
          for (const [b, i] of entry.refs) for (const c of b.readChunks(b.users.get(userId)!.series[i]!)) chunks.push({ ...c, bytes: c.bytes.slice() });
          chunks.sort((x, y) => x.mint - y.mint);
          let overlapping = false;
          for (let i = 1; i < chunks.length; i++) if (chunks[i]!.mint <= chunks[i - 1]!.maxt) overlapping = true;
          if (!overlapping) {
            writer.addSeries(userId, entry.labels, chunks);
            continue;
          }
          const parts = chunks.map((c) => {
            const buf = new SampleBuffer(c.count);
            decodeChunk(c.bytes, buf);
            return buf;
          });
          writer.addSeries(userId, entry.labels, encodeChunks(mergeSorted(parts), blockRange));
        }
      }
      const level = Math.max(1, ...sources.map((b) => b.meta.level)) + (sources.length > 1 ? 1 : 0);
      const meta = writer.finish(level, sources.map((b) => b.id));
      const replaced = new Set(sources);
      const next = blocks.filter((b) => !replaced.has(b));
      if (meta) next.push(new Block(path.join(blocksDir, meta.id)));
      blocks = sortBlocks(next);
      for (const b of sources) removeBlockFiles(b);
    } catch (error) {
      writer.abort();
      throw error;
    }
  }

  /** Picks one group of blocks to merge, or null. */
  function planCompaction(headMinT: number): Block[] | null {
    // 1. Overlapping blocks (out-of-order data, crash leftovers) are merged first.
    for (let i = 0; i < blocks.length; i++) {
      const group = [blocks[i]!];
      let end = blocks[i]!.meta.maxTime;
      for (let j = i + 1; j < blocks.length && blocks[j]!.meta.minTime <= end; j++) {
        group.push(blocks[j]!);
        end = Math.max(end, blocks[j]!.meta.maxTime);
      }
      if (group.length > 1) return group;
    }
    // 2. Adjacent blocks inside one aligned window of a larger level, once the head is past it.
    for (let range = blockRange * 3; range <= maxBlockDuration; range *= 3) {
      const windows = new Map<number, Block[]>();
      for (const b of blocks) {
        const start = Math.floor(b.meta.minTime / range) * range;
        if (b.meta.maxTime >= start + range) continue;
        if (b.meta.maxTime - b.meta.minTime >= range) continue;
        const list = windows.get(start);
        if (list) list.push(b);
        else windows.set(start, [b]);
      }
      for (const [start, list] of windows) if (list.length > 1 && start + range <= headMinT) return list;
    }
    return null;
  }

  async function compactBlocks(): Promise<void> {
    const { minT } = head.timeRange();
    const headMinT = minT === Infinity ? Infinity : minT;
    for (let guard = 0; guard < 1000; guard++) {
      const group = planCompaction(headMinT);
      if (!group) return;
      mergeBlocks(group);
    }
  }

  // ---- retention and deletion -------------------------------------------------------------------
  function removeBlockFiles(b: Block): void {
    b.close();
    fs.rmSync(b.dir, { recursive: true, force: true });
  }

  function dropBlocks(drop: readonly Block[]): void {
    if (drop.length === 0) return;
    const set = new Set(drop);
    blocks = blocks.filter((b) => !set.has(b));
    for (const b of drop) removeBlockFiles(b);
  }

  async function retention(nowMs: number): Promise<void> {
    dropBlocks(blocks.filter((b) => b.meta.maxTime < nowMs - retentionMs));
    if (retentionBytes > 0) {
      let total = wal.sizeBytes();
      for (const b of blocks) total += b.sizeBytes;
      const drop: Block[] = [];
      for (const b of blocks) {
        if (total <= retentionBytes) break;
        drop.push(b);
        total -= b.sizeBytes;
      }
      dropBlocks(drop);
    }
  }

  function removeUsersFromBlocks(userIds: string[]): void {
    const gone = new Set(userIds);
    for (const b of [...blocks]) {
      if (![...b.users.keys()].some((u) => gone.has(u))) continue;
      if ([...b.users.keys()].every((u) => gone.has(u))) dropBlocks([b]);
      else mergeBlocks([b], gone);
    }
    for (const u of userIds) pendingDeletions.delete(u);
  }

  async function deleteUser(userId: string): Promise<void> {
    assertOpen();
    pendingDeletions.add(userId);
    wal.records.deleteUser(userId);
    head.deleteUser(userId);
    decodedSeries.pruneRemoved();
    await wal.commit();
    await serialized(() => removeUsersFromBlocks([userId]));
  }

  async function maintain(): Promise<void> {
    await serialized(async () => {
      await compactHead();
      await compactBlocks();
      await retention(clock.now().getTime());
    });
  }

  // ---- stats / close --------------------------------------------------------------------------
  async function stats(): Promise<MetricStoreStats> {
    assertOpen();
    const { minT, maxT, minOoo } = head.timeRange();
    let min = Math.min(minT, minOoo);
    let max = maxT;
    let samples = head.samples;
    let bytes = wal.sizeBytes();
    const keys = new Set<string>();
    for (const s of head.refs.values()) keys.add(`${s.userId}\u0001${s.key}`);
    for (const b of blocks) {
      samples += b.meta.stats.numSamples;
      bytes += b.sizeBytes;
      min = Math.min(min, b.meta.minTime);
      max = Math.max(max, b.meta.maxTime);
      for (const [userId, user] of b.users) for (const s of user.series) keys.add(`${userId}\u0001${b.seriesKey(s)}`);
    }
    return {
      series: keys.size,
      headSeries: head.seriesCount,
      samples,
      headSamples: head.samples,
      blocks: blocks.length,
      bytesOnDisk: bytes,
      walBytes: wal.sizeBytes(),
      minTime: Number.isFinite(min) ? min : null,
      maxTime: Number.isFinite(max) ? max : null,
    };
  }

  let timer: ReturnType<typeof setInterval> | null = null;
  const interval = options.maintenanceIntervalMs ?? 60_000;
  if (interval > 0) {
    timer = setInterval(() => {
      maintain().catch((error: unknown) => options.onMaintenanceError?.(error));
    }, interval);
    timer.unref();
  }

  async function close(): Promise<void> {
    if (closed) return;
    if (timer) clearInterval(timer);
    await exclusive;
    closed = true;
    await wal.close();
    for (const b of blocks) b.close();
  }

  return {
    append,
    select,
    series,
    labelNames,
    labelValues,
    deleteUser,
    applyRetention: (nowMs: number) => serialized(() => retention(nowMs)),
    stats,
    close,
    maintain,
    flushHead: () => serialized(flushHead),
    compact: () => serialized(compactBlocks),
    walReplay: report,
  };
}

function sortBlocks(list: Block[]): Block[] {
  return list.sort((a, b) => a.meta.minTime - b.meta.minTime || a.meta.maxTime - b.meta.maxTime || (a.id < b.id ? -1 : 1));
}

/** Opens every complete block, removing unfinished ones and ones already merged into another. */
function openBlocks(blocksDir: string): Block[] {
  const names = fs.readdirSync(blocksDir);
  for (const name of names) if (name.endsWith(".tmp")) fs.rmSync(path.join(blocksDir, name), { recursive: true, force: true });
  const opened: Block[] = [];
  for (const name of names) {
    if (name.endsWith(".tmp")) continue;
    const dir = path.join(blocksDir, name);
    if (!fs.existsSync(path.join(dir, "meta.json"))) continue;
    opened.push(new Block(dir));
  }
  const parents = new Set(opened.flatMap((b) => b.meta.parents));
  const live: Block[] = [];
  for (const b of opened) {
    if (parents.has(b.id)) {
      b.close();
      fs.rmSync(b.dir, { recursive: true, force: true });
    } else live.push(b);
  }
  return sortBlocks(live);
}
