/**
 * A worker thread of the parallel range folder: takes rows from the shared counter and folds them
 * over the shared column buffers into the shared output, then sets its state word and wakes the
 * calling thread, which waits for it (Atomics.wait) in the middle of a synchronous evaluation.
 */
import { parentPort } from "node:worker_threads";
import { foldOutputViews, foldRows, type RangeColumns } from "#server/modules/query/promql/range-fold.rules.ts";
import {
  ABORT,
  COLUMN_FIELDS,
  DONE,
  FAILED,
  NEXT_ROW,
  type FoldJobMessage,
  type FromWorker,
  type ToWorker,
} from "#server/modules/query/range-fold-protocol.ts";

const port = parentPort;
if (port === null) throw new Error("range-fold.worker.ts runs as a worker thread");

const buffers = new Map<number, SharedArrayBuffer>();

class Aborted extends Error {}

function run(job: FoldJobMessage): void {
  for (const { id, memory } of job.buffers) buffers.set(id, memory);
  const control = new Int32Array(job.output, 0, job.layout.headerBytes / 4);
  try {
    const out = foldOutputViews(job.output, job.layout);
    const { columns, claimable } = job;
    const columnsOf = (i: number): RangeColumns => {
      const at = i * COLUMN_FIELDS;
      const length = columns[at + 4]!;
      return {
        ts: new Float64Array(buffers.get(columns[at]!)!, columns[at + 1]! * 8, length),
        vs: new Float64Array(buffers.get(columns[at + 2]!)!, columns[at + 3]! * 8, length),
      };
    };
    const nextRow = () => {
      const j = Atomics.add(control, NEXT_ROW, 1);
      return j < claimable.length ? claimable[j]! : -1;
    };
    const check = () => {
      if (Atomics.load(control, ABORT) !== 0) throw new Aborted();
    };
    const spec = { func: job.func, range: job.range, offset: job.offset, times: job.times };
    foldRows(spec, job.op, columnsOf, { members: job.members, rowStart: job.rowStart }, nextRow, out, job.thread, check);
    Atomics.store(control, job.state, DONE);
  } catch {
    // The calling thread redoes the fold itself (or has given up on the query).
    Atomics.store(control, job.state, FAILED);
  }
  Atomics.notify(control, job.state);
}

port.on("message", (message: ToWorker) => {
  if (message.type === "forget") for (const id of message.ids) buffers.delete(id);
  else run(message);
});
port.postMessage({ type: "ready" } satisfies FromWorker);
