/**
 * A worker thread of the parallel range folder: takes rows from the shared counter and folds them
 * over the shared column buffers into the shared output, then sets its state word and wakes the
 * calling thread, which waits for it (Atomics.wait) in the middle of a synchronous evaluation.
 */
import { parentPort } from "node:worker_threads";
import { foldLayout, foldOutputViews, foldRows, rowMembers, type RangeColumns } from "#server/modules/query/promql/range-fold.rules.ts";
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

/**
 * Runs the dashboard case (sum of rate over regular series) a few times before taking jobs, so V8
 * has optimised the kernel by the first real fold instead of running it cold while the calling
 * thread waits.
 */
function warmUp(): void {
  const steps = 241;
  const times = Float64Array.from({ length: steps }, (_, k) => 3_600_000 + k * 15_000);
  const series: RangeColumns[] = Array.from({ length: 64 }, (_, i) => {
    const ts = Float64Array.from({ length: steps + 20 }, (_, k) => 3_300_000 + k * 15_000);
    return { ts, vs: ts.map((t) => i + t / 1000) };
  });
  const rows = rowMembers(Int32Array.from(series, (_, i) => i % 8), 8);
  for (let round = 0; round < 20; round++) {
    const layout = foldLayout(8, steps, series.length, 1, true);
    let row = 0;
    foldRows({ func: "rate", range: 300_000, offset: 0, times }, "sum", (i) => series[i]!, rows, () => (row < 8 ? row++ : -1), foldOutputViews(new ArrayBuffer(layout.totalBytes), layout), 0, () => {});
  }
}

warmUp();
port.on("message", (message: ToWorker) => {
  if (message.type === "forget") for (const id of message.ids) buffers.delete(id);
  else run(message);
});
port.postMessage({ type: "ready" } satisfies FromWorker);
