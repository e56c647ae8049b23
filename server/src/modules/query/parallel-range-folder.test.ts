import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ParallelRangeFolder } from "#server/modules/query/parallel-range-folder.ts";
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { inThreadFolder, type FoldOp, type FoldOutput, type RangeColumns, type RangeFoldJob } from "#server/modules/query/promql/range-fold.rules.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * The parallel folder must give exactly what one thread gives, whichever thread folds a row:
 * data with counter resets, NaN, gaps and jittered timestamps, in shared and in plain memory.
 */
const STEP = 15_000;
const STEPS = 241;
const times = Array.from({ length: STEPS }, (_, k) => 3_600_000 + k * STEP);

function makeSeries(count: number, sharedMemory: (i: number) => boolean): RangeColumns[] {
  const rand = seededRandom(7);
  return Array.from({ length: count }, (_, i) => {
    const ts: number[] = [];
    const vs: number[] = [];
    let v = i * 10;
    for (let t = 0; t < 3_600_000 + STEPS * STEP; t += STEP) {
      if (rand() < 0.03) continue;
      v = rand() < 0.01 ? rand() * 3 : v + rand() * 5;
      ts.push(t + Math.floor(rand() * 300));
      vs.push(rand() < 0.005 ? NaN : v);
    }
    const memory = sharedMemory(i) ? new SharedArrayBuffer(ts.length * 16) : new ArrayBuffer(ts.length * 16);
    const tsColumn = new Float64Array(memory, 0, ts.length);
    const vsColumn = new Float64Array(memory, ts.length * 8, ts.length);
    tsColumn.set(ts);
    vsColumn.set(vs);
    return { ts: tsColumn, vs: vsColumn };
  });
}

function job(series: RangeColumns[], op: FoldOp, func: string, check: () => void = () => {}): RangeFoldJob {
  const rows = 13;
  const rowOf = Int32Array.from(series, (_, i) => (i * 7) % rows);
  return { spec: { func, range: 300_000, offset: 0, times }, op, series, rowOf, rows, check };
}

/** The fold as numbers to compare exactly: rows (bits), presence, flags, and window sizes summed over threads. */
function summary(out: FoldOutput): { values: string; present: number[]; flags: number[]; stepSamples: number[] } {
  const threads = out.stepSamples.length / STEPS;
  const stepSamples = times.map((_, k) => {
    let n = 0;
    for (let t = 0; t < threads; t++) n += out.stepSamples[t * STEPS + k]!;
    return n;
  });
  const values = Array.from(out.values, (v, k) => (out.present[k] === 1 ? v.toString() : "-")).join(",");
  return { values, present: [...out.present], flags: [...out.flags], stepSamples };
}

describe("ParallelRangeFolder", () => {
  const folders: ParallelRangeFolder[] = [];
  const folder = (options: ConstructorParameters<typeof ParallelRangeFolder>[0]) => {
    const f = new ParallelRangeFolder(options);
    folders.push(f);
    return f;
  };
  after(async () => {
    await Promise.all(folders.map((f) => f.close()));
  });

  for (const [op, func] of [
    ["sum", "rate"],
    ["max", "increase"],
    ["count", "delta"],
    ["min", "avg_over_time"],
    ["group", "resets"],
  ] as const) {
    it(`${op}(${func}(…)): workers fold every shared row, bit for bit as one thread does`, async () => {
      const series = makeSeries(60, () => true);
      const parallel = folder({ threads: 2, minWindows: 0, callerTakesRows: false });
      await parallel.ready();
      const expected = summary(inThreadFolder.fold(job(series, op, func)));
      const got = parallel.fold(job(series, op, func));
      assert.equal(parallel.sharedFolds, 1);
      // The calling thread took no shared row: its window sizes are all zero.
      assert.ok(got.stepSamples.subarray(0, STEPS).every((n) => n === 0));
      assert.deepEqual(summary(got), expected);
    });
  }

  it("keeps rows with columns outside shared memory in the calling thread, with the same results", async () => {
    const series = makeSeries(60, (i) => i % 5 !== 0);
    const parallel = folder({ threads: 1, minWindows: 0, callerTakesRows: false });
    await parallel.ready();
    const expected = summary(inThreadFolder.fold(job(series, "sum", "rate")));
    const got = parallel.fold(job(series, "sum", "rate"));
    assert.equal(parallel.sharedFolds, 1);
    assert.ok(got.stepSamples.subarray(0, STEPS).some((n) => n > 0), "the calling thread folded the local rows");
    assert.deepEqual(summary(got), expected);
  });

  it("folds in the calling thread below the size threshold, before the workers are up, and after close", async () => {
    const series = makeSeries(20, () => true);
    const expected = summary(inThreadFolder.fold(job(series, "sum", "rate")));
    const small = folder({ threads: 1, minWindows: 1_000_000 });
    assert.deepEqual(summary(small.fold(job(series, "sum", "rate"))), expected);
    const cold = folder({ threads: 1, minWindows: 0 });
    assert.deepEqual(summary(cold.fold(job(series, "sum", "rate"))), expected);
    assert.equal(cold.sharedFolds, 0, "the first fold starts the workers and does not wait for them");
    await cold.close();
    assert.deepEqual(summary(cold.fold(job(series, "sum", "rate"))), expected);
    assert.equal(cold.sharedFolds, 0);
  });

  it("stops the workers when the query's check throws, and folds the next query normally", async () => {
    const series = makeSeries(60, () => true);
    const parallel = folder({ threads: 1, minWindows: 0 });
    await parallel.ready();
    let calls = 0;
    const timeout = () => {
      if (++calls > 5) throw new PromQLError("timeout", "query timed out in expression evaluation");
    };
    assert.throws(() => parallel.fold(job(series, "sum", "rate", timeout)), { name: "PromQLError", message: /timed out/ });
    const expected = summary(inThreadFolder.fold(job(series, "sum", "rate")));
    assert.deepEqual(summary(parallel.fold(job(series, "sum", "rate"))), expected);
    assert.equal(parallel.sharedFolds, 1);
  });
});
