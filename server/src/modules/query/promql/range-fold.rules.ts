/**
 * The kernel of series-major evaluation: a window-only range function over every step of one
 * series, and the folding of such series into aggregation groups. Pure and free of engine state,
 * so that another thread can run it over the same columns (query/parallel-range-folder.ts): a
 * group is always folded by one thread, its members in input order, so the result does not depend
 * on how groups are shared out.
 */
import { kahanAddAt, kahanResult } from "#server/modules/query/promql/math.rules.ts";
import {
  durationToZero,
  extrapolationFactor,
  RANGE_FUNCTIONS,
  type RangeFunctionArgs,
  USES_DROPS,
  valueDrops,
  windowIncrease,
} from "#server/modules/query/promql/range-functions.rules.ts";

/** Folding aggregations computed member by member into per-step accumulators, without keeping members. */
export type FoldOp = "sum" | "count" | "group" | "min" | "max";

export const FOLD_OPS: ReadonlySet<string> = new Set<FoldOp>(["sum", "count", "group", "min", "max"]);

/** A window-only range function (`func(selector[range] offset offset)`) over the step times `times` (ms). */
export interface RangeSpec {
  readonly func: string;
  readonly range: number;
  readonly offset: number;
  readonly times: ArrayLike<number>;
}

/** One series' columns (ms, ascending; no staleness markers). */
export interface RangeColumns {
  readonly ts: ArrayLike<number>;
  readonly vs: ArrayLike<number>;
}

/** Flags per series: some window held samples; some step got a value. */
export const HAD_SAMPLES = 1;
export const HAD_VALUE = 2;

const WINDOW_ONLY_ARGS: RangeFunctionArgs = {
  t: NaN,
  scalar: () => {
    throw new Error("a window-only range function asked for a scalar argument");
  },
};

const EMPTY = new Float64Array(0);

/** The range functions computed in a loop of their own (the common dashboard case). */
const EXTRAPOLATED: Readonly<Record<string, { isCounter: boolean; isRate: boolean }>> = {
  rate: { isCounter: true, isRate: true },
  increase: { isCounter: true, isRate: false },
  delta: { isCounter: false, isRate: false },
};

/** Evaluates one range function over whole series, reusing its scratch space from series to series. */
export class RangeSeriesEvaluator {
  private readonly spec: RangeSpec;
  private readonly steps: number;
  /** rate()/increase()/delta()'s kind, looked up once: evaluate runs per series. */
  private readonly extrapolatedKind: { isCounter: boolean; isRate: boolean } | undefined;
  private drops = new Int32Array(0);

  constructor(spec: RangeSpec) {
    this.spec = spec;
    this.steps = spec.times.length;
    this.extrapolatedKind = Object.hasOwn(EXTRAPOLATED, spec.func) ? EXTRAPOLATED[spec.func] : undefined;
  }

  /**
   * Writes the function's value at every step into `values`/`present` (present cleared first) and
   * adds each step's window size to `stepSamples`. `check` runs between steps of the generic path
   * (the extrapolated one is a tight loop: check before the series). Returns HAD_* flags.
   */
  evaluate(s: RangeColumns, values: Float64Array, present: Uint8Array, stepSamples: Float64Array, check: () => void): number {
    present.fill(0);
    const kind = this.extrapolatedKind;
    return kind ? this.extrapolated(s, kind, values, present, stepSamples) : this.generic(s, values, present, stepSamples, check);
  }

  /** rate(), increase() and delta(): the windows and arithmetic of extrapolatedRateAt (bit for bit), without a window object or an indirect call per step. */
  private extrapolated(
    s: RangeColumns,
    kind: { isCounter: boolean; isRate: boolean },
    values: Float64Array,
    present: Uint8Array,
    stepSamples: Float64Array,
  ): number {
    const { times, range, offset } = this.spec;
    const { steps } = this;
    const { isCounter, isRate } = kind;
    const rangeSeconds = range / 1000;
    const { ts, vs } = s;
    const n = ts.length;
    let flags = 0;
    let lo = 0;
    let hi = 0;
    // Counter resets: the newest index i < hi with vs[i] < vs[i - 1]; a window lo … hi - 1 has
    // one to add back exactly when lastDrop > lo.
    let lastDrop = 0;
    // The last extrapolation factor and what it was computed from: a series scraped at the step's
    // interval gives every window the same edges, and the factor's divisions are most of the cost.
    let factor = NaN;
    let factorStart = NaN;
    let factorEnd = NaN;
    let factorSpan = NaN;
    let factorSamples = 0;
    for (let k = 0; k < steps; k++) {
      const end = times[k]! - offset;
      const start = end - range;
      while (hi < n && ts[hi]! <= end) {
        if (hi > 0 && vs[hi]! < vs[hi - 1]!) lastDrop = hi;
        hi++;
      }
      while (lo < n && ts[lo]! <= start) lo++;
      const samples = hi - lo;
      if (samples <= 0) continue;
      stepSamples[k]! += samples;
      flags |= HAD_SAMPLES;
      if (samples < 2) continue;
      const firstT = ts[lo]!;
      const lastT = ts[hi - 1]!;
      const increase = windowIncrease(vs, lo, hi, isCounter && lastDrop > lo);
      const toZero = isCounter ? durationToZero(vs[lo]!, increase, lastT - firstT) : Infinity;
      const toStart = firstT - start;
      const toEnd = end - lastT;
      const span = lastT - firstT;
      if (toZero !== Infinity) {
        values[k] = increase * extrapolationFactor(toStart, toEnd, span, samples, rangeSeconds, isRate, toZero);
      } else {
        if (toStart !== factorStart || toEnd !== factorEnd || span !== factorSpan || samples !== factorSamples) {
          factor = extrapolationFactor(toStart, toEnd, span, samples, rangeSeconds, isRate, Infinity);
          factorStart = toStart;
          factorEnd = toEnd;
          factorSpan = span;
          factorSamples = samples;
        }
        values[k] = increase * factor;
      }
      present[k] = 1;
      flags |= HAD_VALUE;
    }
    return flags;
  }

  private generic(s: RangeColumns, values: Float64Array, present: Uint8Array, stepSamples: Float64Array, check: () => void): number {
    const { times, range, offset, func } = this.spec;
    const { steps } = this;
    const fn = RANGE_FUNCTIONS[func]!;
    const { ts, vs } = s;
    const n = ts.length;
    const window: { ts: ArrayLike<number>; vs: ArrayLike<number>; lo: number; hi: number; drops: Int32Array | undefined } = {
      ts,
      vs,
      lo: 0,
      hi: 0,
      drops: USES_DROPS.has(func) ? this.valueDrops(vs) : undefined,
    };
    const bounds = { rangeStart: 0, rangeEnd: 0, range };
    let flags = 0;
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < steps; k++) {
      check();
      const end = times[k]! - offset;
      const start = end - range;
      while (hi < n && ts[hi]! <= end) hi++;
      while (lo < n && ts[lo]! <= start) lo++;
      if (hi <= lo) continue;
      stepSamples[k]! += hi - lo;
      flags |= HAD_SAMPLES;
      window.lo = lo;
      window.hi = hi;
      bounds.rangeStart = start;
      bounds.rangeEnd = end;
      const v = fn(window, bounds, WINDOW_ONLY_ARGS);
      if (v === undefined) continue;
      values[k] = v;
      present[k] = 1;
      flags |= HAD_VALUE;
    }
    window.ts = EMPTY;
    window.vs = EMPTY;
    return flags;
  }

  /** `valueDrops(vs)` into a scratch array reused across series. */
  private valueDrops(vs: ArrayLike<number>): Int32Array {
    if (this.drops.length < vs.length) this.drops = new Int32Array(Math.max(vs.length, 2 * this.drops.length));
    return valueDrops(vs, this.drops);
  }
}

/** Per-step accumulators of some groups: row r's step k at r * steps + k. */
export interface FoldRows {
  readonly values: Float64Array;
  readonly present: Uint8Array;
  /** Kahan compensation (sum only). */
  readonly compensation: Float64Array | undefined;
}

/** Adds one member's values to row `row` of the accumulators, in the order reduceGroup would see it (one loop per op: this runs per series and step). */
export function foldMember(op: FoldOp, rows: FoldRows, row: number, values: Float64Array, present: Uint8Array): void {
  const steps = present.length;
  const base = row * steps;
  const acc = rows.values;
  const seen = rows.present;
  switch (op) {
    case "sum": {
      const compensation = rows.compensation!;
      for (let k = 0; k < steps; k++) {
        if (present[k] !== 1) continue;
        seen[base + k] = 1;
        kahanAddAt(acc, compensation, base + k, values[k]!);
      }
      return;
    }
    case "count":
      for (let k = 0; k < steps; k++) {
        if (present[k] !== 1) continue;
        seen[base + k] = 1;
        acc[base + k]! += 1;
      }
      return;
    case "group":
      for (let k = 0; k < steps; k++) {
        if (present[k] !== 1) continue;
        seen[base + k] = 1;
        acc[base + k] = 1;
      }
      return;
    case "min":
    case "max": {
      const max = op === "max";
      for (let k = 0; k < steps; k++) {
        if (present[k] !== 1) continue;
        const v = values[k]!;
        const a = acc[base + k]!;
        if (seen[base + k] === 0 || (max ? a < v : a > v) || Number.isNaN(a)) acc[base + k] = v;
        seen[base + k] = 1;
      }
      return;
    }
  }
}

/** Turns row `row`'s running Kahan sums into their values (sum only; call once every member is in). */
export function finishRow(op: FoldOp, rows: FoldRows, row: number, steps: number): void {
  const { compensation, values } = rows;
  if (op !== "sum" || compensation === undefined) return;
  for (let k = row * steps, end = k + steps; k < end; k++) values[k] = kahanResult(values[k]!, compensation[k]!);
}

/** Output of a fold: the group rows, every thread's per-step window sizes, and HAD_* flags per series. */
export interface FoldOutput extends FoldRows {
  /** Window sizes per step, `threads` rows of `steps` (thread t's at t * steps). */
  readonly stepSamples: Float64Array;
  readonly flags: Uint8Array;
}

/** Byte layout of a FoldOutput in one buffer (shared between threads for a parallel fold). */
export interface FoldLayout {
  readonly rows: number;
  readonly steps: number;
  readonly series: number;
  readonly threads: number;
  readonly withCompensation: boolean;
  /** Bytes reserved ahead of the output (the parallel fold's control words; a multiple of 8). */
  readonly headerBytes: number;
  readonly totalBytes: number;
}

export function foldLayout(rows: number, steps: number, series: number, threads: number, withCompensation: boolean, headerBytes = 0): FoldLayout {
  const cells = rows * steps;
  const f64 = cells * (withCompensation ? 2 : 1) + threads * steps;
  return { rows, steps, series, threads, withCompensation, headerBytes, totalBytes: headerBytes + f64 * 8 + cells + series };
}

/** Views of a FoldOutput over `memory` laid out as `layout`. */
export function foldOutputViews(memory: ArrayBufferLike, layout: FoldLayout): FoldOutput {
  const { rows, steps, series, threads, withCompensation, headerBytes } = layout;
  const cells = rows * steps;
  let at = headerBytes;
  const values = new Float64Array(memory, at, cells);
  at += cells * 8;
  let compensation: Float64Array | undefined;
  if (withCompensation) {
    compensation = new Float64Array(memory, at, cells);
    at += cells * 8;
  }
  const stepSamples = new Float64Array(memory, at, threads * steps);
  at += threads * steps * 8;
  const present = new Uint8Array(memory, at, cells);
  at += cells;
  return { values, compensation, present, stepSamples, flags: new Uint8Array(memory, at, series) };
}

/** Series indices grouped by row: row r's members, in input order, are members[rowStart[r]] … members[rowStart[r + 1] - 1]. */
export interface RowMembers {
  readonly members: Int32Array;
  readonly rowStart: Int32Array;
}

/** Groups series 0 … rowOf.length - 1 by row, keeping input order within a row (a counting sort). */
export function rowMembers(rowOf: Int32Array, rows: number): RowMembers {
  const rowStart = new Int32Array(rows + 1);
  for (let i = 0; i < rowOf.length; i++) rowStart[rowOf[i]! + 1]!++;
  for (let r = 0; r < rows; r++) rowStart[r + 1]! += rowStart[r]!;
  const next = rowStart.slice(0, rows);
  const members = new Int32Array(rowOf.length);
  for (let i = 0; i < rowOf.length; i++) members[next[rowOf[i]!]!++] = i;
  return { members, rowStart };
}

/**
 * Folds whole rows into `out` for as long as `nextRow` hands one out (-1: none left), each row's
 * members in input order; this thread's window sizes go to its stepSamples row `thread`. `check`
 * runs before each series and between steps of the generic path; it throws to stop.
 */
export function foldRows(
  spec: RangeSpec,
  op: FoldOp,
  columnsOf: (series: number) => RangeColumns,
  rows: RowMembers,
  nextRow: () => number,
  out: FoldOutput,
  thread: number,
  check: () => void,
): void {
  const steps = spec.times.length;
  const evaluator = new RangeSeriesEvaluator(spec);
  const values = new Float64Array(steps);
  const present = new Uint8Array(steps);
  const stepSamples = out.stepSamples.subarray(thread * steps, (thread + 1) * steps);
  const { members, rowStart } = rows;
  for (let row = nextRow(); row >= 0; row = nextRow()) {
    for (let j = rowStart[row]!; j < rowStart[row + 1]!; j++) {
      check();
      const i = members[j]!;
      const flags = evaluator.evaluate(columnsOf(i), values, present, stepSamples, check);
      out.flags[i] = flags;
      if ((flags & HAD_VALUE) !== 0) foldMember(op, out, row, values, present);
    }
  }
}

/** A fold of range-function series into group rows, as the series-major pass asks for it. */
export interface RangeFoldJob {
  readonly spec: RangeSpec;
  readonly op: FoldOp;
  readonly series: ArrayLike<RangeColumns>;
  /** Each series' group row, rows numbered 0 … rows - 1. */
  readonly rowOf: Int32Array;
  readonly rows: number;
  /** Throws when the query must stop (deadline); cheap enough to call per series. */
  check(): void;
}

/** Runs fold jobs: in this thread, or sharing the rows out over several (parallel-range-folder.ts). */
export interface RangeFolder {
  fold(job: RangeFoldJob): FoldOutput;
}

/** Every row in order, in the calling thread. */
export const inThreadFolder: RangeFolder = {
  fold(job) {
    const layout = foldLayout(job.rows, job.spec.times.length, job.series.length, 1, job.op === "sum");
    const out = foldOutputViews(new ArrayBuffer(layout.totalBytes), layout);
    let row = 0;
    const nextRow = () => (row < job.rows ? row++ : -1);
    foldRows(job.spec, job.op, (i) => job.series[i]!, rowMembers(job.rowOf, job.rows), nextRow, out, 0, () => job.check());
    return out;
  },
};
