/**
 * Messages between the parallel range folder (parallel-range-folder.ts) and its worker threads
 * (range-fold.worker.ts). Column buffers are SharedArrayBuffers, sent to a worker once under a
 * number and then named by it; the output is one SharedArrayBuffer laid out as range-fold's
 * FoldLayout, whose header holds the Int32 control words below.
 */
import type { FoldLayout, FoldOp } from "#server/modules/query/promql/range-fold.rules.ts";

/** Control word set by the calling thread: stop folding. */
export const ABORT = 0;
/** Control word: the next entry of `claimable` to fold (threads take rows with Atomics.add). */
export const NEXT_ROW = 1;
/** Control words from here on: one state per worker (RUNNING, then DONE or FAILED). */
export const FIRST_STATE = 2;
export const RUNNING = 0;
export const DONE = 1;
export const FAILED = 2;

/** Header bytes for the control words of `workers` workers, rounded up to 8 for the Float64 views after it. */
export function controlBytes(workers: number): number {
  return Math.ceil(((FIRST_STATE + workers) * 4) / 8) * 8;
}

/** Float64 fields per series in `columns`: ts buffer id, ts element offset, vs buffer id, vs element offset, length. */
export const COLUMN_FIELDS = 5;

export interface FoldJobMessage {
  readonly type: "job";
  /** Buffers this worker has not seen yet. */
  readonly buffers: ReadonlyArray<{ readonly id: number; readonly memory: SharedArrayBuffer }>;
  readonly func: string;
  readonly range: number;
  readonly offset: number;
  readonly times: Float64Array;
  readonly op: FoldOp;
  readonly layout: FoldLayout;
  readonly output: SharedArrayBuffer;
  /** This worker's stepSamples row (threads: 0 is the calling one). */
  readonly thread: number;
  /** This worker's state word. */
  readonly state: number;
  /** Where each series' columns are (COLUMN_FIELDS per series; only claimable rows' series are filled in). */
  readonly columns: Float64Array;
  /** Series indices by row (range-fold's RowMembers). */
  readonly members: Int32Array;
  readonly rowStart: Int32Array;
  /** The rows any thread may take, in order. */
  readonly claimable: Int32Array;
}

export interface ForgetMessage {
  readonly type: "forget";
  readonly ids: readonly number[];
}

export type ToWorker = FoldJobMessage | ForgetMessage;

export type FromWorker = { readonly type: "ready" };
