/**
 * A RangeFolder that shares a large fold's groups (rows) out over worker threads and the calling
 * thread. The PromQL engine is synchronous, so the calling thread posts the job to every worker,
 * then all of them take rows from a shared counter (Atomics.add) until none are left, and the
 * calling thread waits for the workers' last rows with Atomics.wait: the query's evaluation stays
 * one synchronous call, only spread over more cores, and a thread slowed down by anything else
 * simply takes fewer rows. Workers read the series' columns in place, which works for columns in
 * SharedArrayBuffers (the metric store's decoded-series cache, the dashboard case); rows with any
 * other series are folded by the calling thread. Each row is folded whole by one thread, members
 * in input order, so results equal a fold in one thread bit for bit.
 *
 * Workers start on the first fold large enough to share (that one runs in this thread) and are
 * unref'd. A worker that fails its share, or has not finished long after the calling thread did,
 * is dropped and the whole fold is redone in this thread: its late writes land in an output
 * nobody reads any more.
 */
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import {
  foldLayout,
  foldOutputViews,
  foldRows,
  inThreadFolder,
  rowMembers,
  type FoldOutput,
  type RangeColumns,
  type RangeFoldJob,
  type RangeFolder,
} from "#server/modules/query/promql/range-fold.rules.ts";
import {
  ABORT,
  COLUMN_FIELDS,
  controlBytes,
  DONE,
  FIRST_STATE,
  NEXT_ROW,
  RUNNING,
  type FoldJobMessage,
  type FromWorker,
  type ToWorker,
} from "#server/modules/query/range-fold-protocol.ts";

export interface ParallelRangeFolderOptions {
  /** Worker threads besides the calling one (0: fold in the calling thread only). */
  readonly threads: number;
  /** Windows (series × steps) below which a fold stays in the calling thread: handing out work costs ~1 ms. */
  readonly minWindows?: number;
  /** Whether the calling thread takes shared rows too (default true; false leaves them all to the workers, as tests need). */
  readonly callerTakesRows?: boolean;
}

const DEFAULT_MIN_WINDOWS = 200_000;
/** How long past the calling thread's own share a worker may take before its share is redone here. */
const GIVE_UP_FACTOR = 10;
const GIVE_UP_MIN_MS = 1_000;
const WAIT_SLICE_MS = 20;

interface PoolWorker {
  readonly worker: Worker;
  ready: boolean;
  /** Settles when the worker is ready or gone. */
  readonly started: Promise<void>;
  /** Buffer ids this worker holds. */
  readonly known: Set<number>;
}

type Shared = Float64Array & { readonly buffer: SharedArrayBuffer };

function shared(a: ArrayLike<number>): a is Shared {
  return a instanceof Float64Array && a.buffer instanceof SharedArrayBuffer;
}

export class ParallelRangeFolder implements RangeFolder {
  private readonly threads: number;
  private readonly minWindows: number;
  private readonly callerTakesRows: boolean;
  /** Folds shared with workers so far. */
  sharedFolds = 0;
  private readonly workers: PoolWorker[] = [];
  private readonly bufferIds = new WeakMap<SharedArrayBuffer, number>();
  private nextBufferId = 1;
  /** Tells the workers to let go of a buffer once this thread no longer references it. */
  private readonly released = new FinalizationRegistry<number>((id) => {
    for (const w of this.workers) {
      if (w.known.delete(id)) w.worker.postMessage({ type: "forget", ids: [id] } satisfies ToWorker);
    }
  });
  private closed = false;

  constructor(options: ParallelRangeFolderOptions) {
    this.threads = Math.max(0, Math.floor(options.threads));
    this.minWindows = options.minWindows ?? DEFAULT_MIN_WINDOWS;
    this.callerTakesRows = options.callerTakesRows ?? true;
  }

  /** Folds shared out when the job is large enough and workers are up; otherwise in this thread. */
  fold(job: RangeFoldJob): FoldOutput {
    if (this.threads === 0 || this.closed || job.series.length * job.spec.times.length < this.minWindows) return inThreadFolder.fold(job);
    const workers = this.readyWorkers();
    if (workers.length === 0) return inThreadFolder.fold(job);
    return this.foldShared(job, workers) ?? inThreadFolder.fold(job);
  }

  /** Starts the workers now and resolves once every one can take rows (folds do not wait for them). */
  async ready(): Promise<void> {
    this.readyWorkers();
    await Promise.all(this.workers.map((w) => w.started));
  }

  /** Workers currently able to take a share (they are spawned here, the first time, for later folds). */
  private readyWorkers(): PoolWorker[] {
    while (this.workers.length < this.threads) this.workers.push(this.spawn());
    return this.workers.filter((w) => w.ready);
  }

  private spawn(): PoolWorker {
    const worker = new Worker(new URL("./range-fold.worker.ts", import.meta.url));
    worker.unref();
    let started = () => {};
    const entry: PoolWorker = { worker, ready: false, known: new Set(), started: new Promise<void>((resolve) => (started = resolve)) };
    worker.on("message", (message: FromWorker) => {
      if (message.type === "ready") entry.ready = true;
      started();
    });
    worker.once("exit", () => started());
    const drop = () => this.drop(entry);
    worker.on("error", drop);
    worker.on("exit", drop);
    return entry;
  }

  private drop(entry: PoolWorker): void {
    const i = this.workers.indexOf(entry);
    if (i >= 0) this.workers.splice(i, 1);
    entry.ready = false;
    void entry.worker.terminate();
  }

  /** The shared fold, or undefined when a worker let it down (the caller redoes it in this thread). */
  private foldShared(job: RangeFoldJob, workers: PoolWorker[]): FoldOutput | undefined {
    const { series, rowOf, rows } = job;
    const steps = job.spec.times.length;
    // Rows with a series outside shared memory stay with this thread; any thread may take the rest.
    const local = new Uint8Array(rows);
    for (let i = 0; i < series.length; i++) if (!shared(series[i]!.ts) || !shared(series[i]!.vs)) local[rowOf[i]!] = 1;
    const localRows: number[] = [];
    const claimableRows: number[] = [];
    for (let r = 0; r < rows; r++) (local[r] === 1 ? localRows : claimableRows).push(r);
    if (claimableRows.length === 0) return inThreadFolder.fold(job);
    const claimable = Int32Array.from(claimableRows);

    const grouped = rowMembers(rowOf, rows);
    const layout = foldLayout(rows, steps, series.length, workers.length + 1, job.op === "sum", controlBytes(workers.length));
    const output = new SharedArrayBuffer(layout.totalBytes);
    const control = new Int32Array(output, 0, layout.headerBytes / 4);
    const out = foldOutputViews(output, layout);
    const { columns, used } = this.columns(series, rowOf, local);
    const times = Float64Array.from(job.spec.times);
    const { func, range, offset } = job.spec;
    workers.forEach((w, k) => {
      const buffers = used.filter(({ id }) => !w.known.has(id));
      for (const { id } of buffers) w.known.add(id);
      const message: FoldJobMessage = {
        type: "job",
        buffers,
        func,
        range,
        offset,
        times,
        op: job.op,
        layout,
        output,
        thread: k + 1,
        state: FIRST_STATE + k,
        columns,
        members: grouped.members,
        rowStart: grouped.rowStart,
        claimable,
      };
      w.worker.postMessage(message);
    });

    const started = performance.now();
    let nextLocal = 0;
    const nextRow = () => {
      if (nextLocal < localRows.length) return localRows[nextLocal++]!;
      if (!this.callerTakesRows) return -1;
      const j = Atomics.add(control, NEXT_ROW, 1);
      return j < claimable.length ? claimable[j]! : -1;
    };
    const abortOnError = (run: () => void): void => {
      try {
        run();
      } catch (error) {
        Atomics.store(control, ABORT, 1);
        throw error;
      }
    };
    abortOnError(() => foldRows(job.spec, job.op, (i) => series[i]!, grouped, nextRow, out, 0, () => job.check()));
    const giveUpAt = performance.now() + Math.max(GIVE_UP_MIN_MS, GIVE_UP_FACTOR * (performance.now() - started));
    for (let k = 0; k < workers.length; k++) {
      const state = FIRST_STATE + k;
      while (Atomics.load(control, state) === RUNNING && performance.now() < giveUpAt) {
        abortOnError(() => job.check());
        Atomics.wait(control, state, RUNNING, WAIT_SLICE_MS);
      }
      if (Atomics.load(control, state) !== DONE) {
        Atomics.store(control, ABORT, 1);
        this.drop(workers[k]!);
        return undefined;
      }
    }
    this.sharedFolds++;
    return out;
  }

  /** Where the series of rows not kept local are (COLUMN_FIELDS each), and the buffers named, each with its id. */
  private columns(series: ArrayLike<RangeColumns>, rowOf: Int32Array, local: Uint8Array): { columns: Float64Array; used: Array<{ id: number; memory: SharedArrayBuffer }> } {
    const columns = new Float64Array(series.length * COLUMN_FIELDS);
    const used = new Map<SharedArrayBuffer, { id: number; memory: SharedArrayBuffer }>();
    const idOf = (memory: SharedArrayBuffer): number => {
      let entry = used.get(memory);
      if (entry === undefined) {
        let id = this.bufferIds.get(memory);
        if (id === undefined) {
          id = this.nextBufferId++;
          this.bufferIds.set(memory, id);
          this.released.register(memory, id);
        }
        used.set(memory, (entry = { id, memory }));
      }
      return entry.id;
    };
    for (let i = 0; i < series.length; i++) {
      if (local[rowOf[i]!] === 1) continue;
      const ts = series[i]!.ts as Shared;
      const vs = series[i]!.vs as Shared;
      const at = i * COLUMN_FIELDS;
      columns[at] = idOf(ts.buffer);
      columns[at + 1] = ts.byteOffset / 8;
      columns[at + 2] = idOf(vs.buffer);
      columns[at + 3] = vs.byteOffset / 8;
      columns[at + 4] = ts.length;
    }
    return { columns, used: [...used.values()] };
  }

  /** Stops the workers (the folder then folds in the calling thread). */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}
