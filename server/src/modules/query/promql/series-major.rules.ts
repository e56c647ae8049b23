/**
 * Series-major evaluation of a range query's hot subtrees. Stepping through a range query builds
 * one vector per step: for `rate(x[5m])` under an aggregation that is a window, a function call
 * and a sample object per series and step, and a regrouping per step. Here such a subtree runs one
 * series at a time over every step instead, sliding window indices over the series' arrays and
 * writing into Float64Arrays; the step evaluator then reads its vector at each step from them.
 *
 * Results equal the step evaluator's: the same range functions run on the same windows, and an
 * aggregation folds each group's values in input order, as it does. Only these subtrees qualify:
 * a window-only range function over a matrix selector (whose results stay distinct without
 * `__name__`), an instant selector at the root or under an aggregation, and the folding
 * aggregations (sum, avg, count, group, min, max, stddev, stdvar) over either, all without `@`.
 * Subqueries keep their own grid and are left to the step evaluator.
 */
import type { AggregateExpr, Call, Expr, MatrixSelector, VectorSelector } from "#server/modules/query/promql/ast.ts";
import { groupKey, groupLabels, isReducingOp, reduceGroup } from "#server/modules/query/promql/aggregate.rules.ts";
import { dropName, METRIC_NAME } from "#server/modules/query/promql/labels.ts";
import { kahanAddAt, kahanResult } from "#server/modules/query/promql/math.rules.ts";
import {
  counterNameInfo,
  extrapolatedRateAt,
  isWindowOnlyFunction,
  KEEP_NAME,
  RANGE_FUNCTIONS,
  type RangeFunctionArgs,
  USES_DROPS,
  valueDrops,
} from "#server/modules/query/promql/range-functions.rules.ts";
import { isStaleNaN, type Labels, type SourceSeries } from "#server/modules/query/promql/types.ts";

/** One series' values at every step of the grid; `present[k]` is 0 where it has no sample. */
export interface StepSeries {
  readonly labels: Labels;
  readonly values: Float64Array;
  readonly present: Uint8Array;
}

/** A loaded series as range windows see it: staleness markers removed. */
export interface RangeLoadedSeries {
  readonly labels: Labels;
  readonly ts: ArrayLike<number>;
  readonly vs: ArrayLike<number>;
}

/** What the series-major pass needs from the evaluator that owns the query. */
export interface SeriesMajorHost {
  readonly lookback: number;
  loadInstant(sel: VectorSelector): readonly SourceSeries[];
  loadRange(sel: VectorSelector): readonly RangeLoadedSeries[];
  distinctWithoutName(sel: VectorSelector): boolean;
  annotate(kind: "warning" | "info", message: string, pos: number): void;
  checkDeadline(): void;
}

export interface SeriesMajorResult {
  /** The series-major subtrees, each with its value at every step. */
  readonly nodes: ReadonlyMap<Expr, readonly StepSeries[]>;
  /** Samples loaded at each step by those subtrees (the step evaluator's maxSamples budget). */
  readonly stepSamples: Float64Array;
}

const WINDOW_ONLY_ARGS: RangeFunctionArgs = {
  t: NaN,
  scalar: () => {
    throw new Error("a window-only range function asked for a scalar argument");
  },
};

const EMPTY = new Float64Array(0);

/** The range functions eachExtrapolatedSeries computes in its own loop (all drop `__name__`). */
const EXTRAPOLATED: Readonly<Record<string, { isCounter: boolean; isRate: boolean }>> = {
  rate: { isCounter: true, isRate: true },
  increase: { isCounter: true, isRate: false },
  delta: { isCounter: false, isRate: false },
};

function unwrapParens(e: Expr): Expr {
  let cur = e;
  while (cur.type === "paren") cur = cur.expr;
  return cur;
}

/** Evaluates every maximal series-major subtree of `expr` over the step times `times` (ms). */
export function evaluateSeriesMajor(expr: Expr, times: readonly number[], host: SeriesMajorHost): SeriesMajorResult {
  const pass = new SeriesMajorPass(times, host);
  pass.visit(expr, true);
  return { nodes: pass.nodes, stepSamples: pass.stepSamples };
}

/** Receives one series at a time; the arrays are reused for the next series (copy what you keep). */
type SeriesVisitor = (labels: Labels, values: Float64Array, present: Uint8Array) => void;

/** Folding aggregations computed member by member into per-step accumulators, without keeping members. */
type StreamingOp = "sum" | "count" | "group" | "min" | "max";

const STREAMING_OPS: ReadonlySet<string> = new Set<StreamingOp>(["sum", "count", "group", "min", "max"]);

interface Accumulator {
  readonly labels: Labels;
  readonly values: Float64Array;
  readonly present: Uint8Array;
  /** Kahan compensation per step (sum only). */
  readonly compensation: Float64Array | undefined;
}

class SeriesMajorPass {
  readonly nodes = new Map<Expr, readonly StepSeries[]>();
  readonly stepSamples: Float64Array;
  private readonly steps: number;
  private readonly values: Float64Array;
  private readonly present: Uint8Array;
  private drops = new Int32Array(0);

  private readonly times: readonly number[];
  private readonly host: SeriesMajorHost;

  constructor(times: readonly number[], host: SeriesMajorHost) {
    this.times = times;
    this.host = host;
    this.steps = times.length;
    this.stepSamples = new Float64Array(this.steps);
    this.values = new Float64Array(this.steps);
    this.present = new Uint8Array(this.steps);
  }

  /** Evaluates `e` if it qualifies, else looks for qualifying subtrees below it (not inside subqueries). */
  visit(e: Expr, selectorAllowed: boolean): void {
    if (this.supported(e, selectorAllowed)) {
      this.nodes.set(e, this.evaluate(e));
      return;
    }
    switch (e.type) {
      case "paren":
        this.visit(e.expr, selectorAllowed);
        return;
      case "unary":
        this.visit(e.expr, false);
        return;
      case "binary":
        this.visit(e.lhs, false);
        this.visit(e.rhs, false);
        return;
      case "aggregate":
        if (e.param) this.visit(e.param, false);
        this.visit(e.expr, true);
        return;
      case "call":
        for (const a of e.args) this.visit(a, false);
        return;
      default:
        return;
    }
  }

  /** Whether `e` can run series-major; instant selectors only where their sample times are not observed. */
  private supported(e: Expr, selectorAllowed: boolean): boolean {
    switch (e.type) {
      case "paren":
        return this.supported(e.expr, selectorAllowed);
      case "vectorSelector":
        return selectorAllowed && !e.at;
      case "call":
        return this.rangeSelector(e) !== undefined;
      case "aggregate":
        return isReducingOp(e.op) && e.op !== "quantile" && !e.param && this.supported(e.expr, true);
      default:
        return false;
    }
  }

  private rangeSelector(call: Call): MatrixSelector | undefined {
    if (call.args.length !== 1 || !isWindowOnlyFunction(call.func)) return undefined;
    const arg = call.args[0] === undefined ? undefined : unwrapParens(call.args[0]);
    if (arg?.type !== "matrixSelector" || arg.selector.at) return undefined;
    return KEEP_NAME.has(call.func) || this.host.distinctWithoutName(arg.selector) ? arg : undefined;
  }

  private evaluate(e: Expr): StepSeries[] {
    const inner = unwrapParens(e);
    if (inner.type === "aggregate") return this.aggregate(inner);
    const out: StepSeries[] = [];
    this.eachSeries(inner, (labels, values, present) => out.push({ labels, values: values.slice(), present: present.slice() }));
    return out;
  }

  private eachSeries(e: Expr, visit: SeriesVisitor): void {
    switch (e.type) {
      case "paren":
        this.eachSeries(e.expr, visit);
        return;
      case "vectorSelector":
        this.eachInstantSeries(e, visit);
        return;
      case "call":
        this.eachRangeSeries(e, this.rangeSelector(e)!, visit);
        return;
      case "aggregate":
        for (const s of this.aggregate(e)) visit(s.labels, s.values, s.present);
        return;
      default:
        throw new Error(`${e.type} cannot run series-major`);
    }
  }

  private eachInstantSeries(sel: VectorSelector, visit: SeriesVisitor): void {
    const { times, steps, host, values, present, stepSamples } = this;
    for (const s of host.loadInstant(sel)) {
      const { timestamps: ts, values: vs } = s;
      const n = ts.length;
      present.fill(0);
      let any = false;
      let i = -1;
      for (let k = 0; k < steps; k++) {
        host.checkDeadline();
        const at = times[k]! - sel.offset;
        while (i + 1 < n && ts[i + 1]! <= at) i++;
        if (i < 0 || ts[i]! <= at - host.lookback) continue;
        const v = vs[i]!;
        if (isStaleNaN(v)) continue;
        values[k] = v;
        present[k] = 1;
        stepSamples[k]! += 1;
        any = true;
      }
      if (any) visit(s.labels, values, present);
    }
  }

  private eachRangeSeries(call: Call, ms: MatrixSelector, visit: SeriesVisitor): void {
    if (Object.hasOwn(EXTRAPOLATED, call.func)) {
      this.eachExtrapolatedSeries(call, ms, EXTRAPOLATED[call.func]!, visit);
      return;
    }
    const { times, steps, host, values, present, stepSamples } = this;
    const fn = RANGE_FUNCTIONS[call.func]!;
    const keepName = KEEP_NAME.has(call.func);
    const useDrops = USES_DROPS.has(call.func);
    const pos = call.args[0]?.pos ?? call.pos;
    const offset = ms.selector.offset;
    const window: { ts: ArrayLike<number>; vs: ArrayLike<number>; lo: number; hi: number; drops: Int32Array | undefined } = {
      ts: EMPTY,
      vs: EMPTY,
      lo: 0,
      hi: 0,
      drops: undefined,
    };
    const bounds = { rangeStart: 0, rangeEnd: 0, range: ms.range };
    for (const s of host.loadRange(ms.selector)) {
      const { ts, vs } = s;
      const n = ts.length;
      window.ts = ts;
      window.vs = vs;
      window.drops = useDrops ? this.valueDrops(vs) : undefined;
      present.fill(0);
      let any = false;
      let lo = 0;
      let hi = 0;
      let seen = false;
      for (let k = 0; k < steps; k++) {
        host.checkDeadline();
        const end = times[k]! - offset;
        const start = end - ms.range;
        while (hi < n && ts[hi]! <= end) hi++;
        while (lo < n && ts[lo]! <= start) lo++;
        if (hi <= lo) continue;
        stepSamples[k]! += hi - lo;
        if (!seen) {
          seen = true;
          const info = counterNameInfo(call.func, s.labels[METRIC_NAME]);
          if (info !== undefined) host.annotate("info", info, pos);
        }
        window.lo = lo;
        window.hi = hi;
        bounds.rangeStart = start;
        bounds.rangeEnd = end;
        const v = fn(window, bounds, WINDOW_ONLY_ARGS);
        if (v === undefined) continue;
        values[k] = v;
        present[k] = 1;
        any = true;
      }
      if (any) visit(keepName ? s.labels : dropName(s.labels), values, present);
    }
  }

  /**
   * rate(), increase() and delta() (the common dashboard case) in one loop per series: the same
   * windows and the same arithmetic (extrapolatedRateAt) as the generic path, without a window
   * object, an indirect call or a deadline check per step.
   */
  private eachExtrapolatedSeries(call: Call, ms: MatrixSelector, kind: { isCounter: boolean; isRate: boolean }, visit: SeriesVisitor): void {
    const { times, steps, host, values, present, stepSamples } = this;
    const { isCounter, isRate } = kind;
    const pos = call.args[0]?.pos ?? call.pos;
    const offset = ms.selector.offset;
    const range = ms.range;
    const rangeSeconds = range / 1000;
    let checkedName: string | undefined | null = null;
    for (const s of host.loadRange(ms.selector)) {
      host.checkDeadline();
      const { ts, vs } = s;
      const n = ts.length;
      present.fill(0);
      let any = false;
      let seen = false;
      let lo = 0;
      let hi = 0;
      // Counter resets: the newest index i < hi with vs[i] < vs[i - 1]; a window lo … hi - 1 has
      // one to add back exactly when lastDrop > lo.
      let lastDrop = 0;
      for (let k = 0; k < steps; k++) {
        const end = times[k]! - offset;
        const start = end - range;
        while (hi < n && ts[hi]! <= end) {
          if (hi > 0 && vs[hi]! < vs[hi - 1]!) lastDrop = hi;
          hi++;
        }
        while (lo < n && ts[lo]! <= start) lo++;
        if (hi <= lo) continue;
        stepSamples[k]! += hi - lo;
        if (!seen) {
          seen = true;
          // One check per metric name (series of one name usually come together).
          const name = s.labels[METRIC_NAME];
          if (name !== checkedName) {
            checkedName = name;
            const info = counterNameInfo(call.func, name);
            if (info !== undefined) host.annotate("info", info, pos);
          }
        }
        if (hi - lo < 2) continue;
        const mayHaveDrops = isCounter && lastDrop > lo;
        values[k] = extrapolatedRateAt(ts, vs, lo, hi, mayHaveDrops, start, end, rangeSeconds, isCounter, isRate);
        present[k] = 1;
        any = true;
      }
      if (any) visit(dropName(s.labels), values, present);
    }
  }

  /** `valueDrops(vs)` into a scratch array reused across series. */
  private valueDrops(vs: ArrayLike<number>): Int32Array {
    if (this.drops.length < vs.length) this.drops = new Int32Array(Math.max(vs.length, 2 * this.drops.length));
    return valueDrops(vs, this.drops);
  }

  private aggregate(e: AggregateExpr): StepSeries[] {
    if (!isReducingOp(e.op)) throw new Error(`aggregation ${e.op} cannot run series-major`);
    const op = e.op;
    const sortedGrouping = [...new Set(e.grouping)].sort();
    if (STREAMING_OPS.has(op)) {
      const groups = new Map<string, Accumulator>();
      this.eachSeries(e.expr, (labels, values, present) => {
        this.host.checkDeadline();
        const key = groupKey(labels, sortedGrouping, e.without);
        let g = groups.get(key);
        if (!g) {
          g = {
            labels: groupLabels(labels, e.grouping, e.without),
            values: new Float64Array(this.steps),
            present: new Uint8Array(this.steps),
            compensation: op === "sum" ? new Float64Array(this.steps) : undefined,
          };
          groups.set(key, g);
        }
        this.fold(op as StreamingOp, g, values, present);
      });
      const out: StepSeries[] = [];
      for (const g of groups.values()) {
        if (g.compensation) for (let k = 0; k < this.steps; k++) g.values[k] = kahanResult(g.values[k]!, g.compensation[k]!);
        out.push({ labels: g.labels, values: g.values, present: g.present });
      }
      return out;
    }
    const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
    for (const s of this.evaluate(e.expr)) {
      const key = groupKey(s.labels, sortedGrouping, e.without);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { labels: groupLabels(s.labels, e.grouping, e.without), members: [] }));
      g.members.push(s);
    }
    const out: StepSeries[] = [];
    const folded: number[] = [];
    for (const g of groups.values()) {
      this.host.checkDeadline();
      const values = new Float64Array(this.steps);
      const present = new Uint8Array(this.steps);
      for (let k = 0; k < this.steps; k++) {
        folded.length = 0;
        for (const m of g.members) if (m.present[k] === 1) folded.push(m.values[k]!);
        if (folded.length === 0) continue;
        values[k] = reduceGroup(op, folded, 0);
        present[k] = 1;
      }
      out.push({ labels: g.labels, values, present });
    }
    return out;
  }

  /** Adds one member to a group's accumulators, in the order reduceGroup would see it (one loop per op: this runs per series and step). */
  private fold(op: StreamingOp, g: Accumulator, values: Float64Array, present: Uint8Array): void {
    const { steps } = this;
    const acc = g.values;
    const seen = g.present;
    switch (op) {
      case "sum": {
        const compensation = g.compensation!;
        for (let k = 0; k < steps; k++) {
          if (present[k] !== 1) continue;
          seen[k] = 1;
          kahanAddAt(acc, compensation, k, values[k]!);
        }
        return;
      }
      case "count":
        for (let k = 0; k < steps; k++) {
          if (present[k] !== 1) continue;
          seen[k] = 1;
          acc[k]! += 1;
        }
        return;
      case "group":
        for (let k = 0; k < steps; k++) {
          if (present[k] !== 1) continue;
          seen[k] = 1;
          acc[k] = 1;
        }
        return;
      case "min":
      case "max": {
        const max = op === "max";
        for (let k = 0; k < steps; k++) {
          if (present[k] !== 1) continue;
          const v = values[k]!;
          const a = acc[k]!;
          if (seen[k] === 0 || (max ? a < v : a > v) || Number.isNaN(a)) acc[k] = v;
          seen[k] = 1;
        }
        return;
      }
    }
  }
}
