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
import { groupKey, groupLabels, isReducingOp, reduceGroup, type ReducingOp } from "#server/modules/query/promql/aggregate.rules.ts";
import { dropName, METRIC_NAME } from "#server/modules/query/promql/labels.ts";
import { kahanAddAt, kahanResult } from "#server/modules/query/promql/math.rules.ts";
import {
  counterNameInfo,
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

function unwrapParens(e: Expr): Expr {
  let cur = e;
  while (cur.type === "paren") cur = cur.expr;
  return cur;
}

/** Evaluates every maximal series-major subtree of `expr` over the step times `times` (ms). */
export function evaluateSeriesMajor(expr: Expr, times: readonly number[], host: SeriesMajorHost): SeriesMajorResult {
  const steps = times.length;
  const nodes = new Map<Expr, readonly StepSeries[]>();
  const stepSamples = new Float64Array(steps);

  const rangeSelector = (call: Call): MatrixSelector | undefined => {
    if (call.args.length !== 1 || !isWindowOnlyFunction(call.func)) return undefined;
    const arg = call.args[0] === undefined ? undefined : unwrapParens(call.args[0]);
    if (arg?.type !== "matrixSelector" || arg.selector.at) return undefined;
    return KEEP_NAME.has(call.func) || host.distinctWithoutName(arg.selector) ? arg : undefined;
  };

  /** Whether `e` can run series-major; instant selectors only where their sample times are not observed. */
  const supported = (e: Expr, selectorAllowed: boolean): boolean => {
    switch (e.type) {
      case "paren":
        return supported(e.expr, selectorAllowed);
      case "vectorSelector":
        return selectorAllowed && !e.at;
      case "call":
        return rangeSelector(e) !== undefined;
      case "aggregate":
        return isReducingOp(e.op) && e.op !== "quantile" && !e.param && supported(e.expr, true);
      default:
        return false;
    }
  };

  const instantSelector = (sel: VectorSelector): StepSeries[] => {
    const out: StepSeries[] = [];
    for (const s of host.loadInstant(sel)) {
      const { timestamps: ts, values: vs } = s;
      const n = ts.length;
      let values: Float64Array | undefined;
      let present: Uint8Array | undefined;
      let i = -1;
      for (let k = 0; k < steps; k++) {
        host.checkDeadline();
        const at = (times[k] ?? 0) - sel.offset;
        while (i + 1 < n && (ts[i + 1] ?? 0) <= at) i++;
        if (i < 0 || (ts[i] ?? 0) <= at - host.lookback) continue;
        const v = vs[i] ?? NaN;
        if (isStaleNaN(v)) continue;
        values ??= new Float64Array(steps);
        present ??= new Uint8Array(steps);
        values[k] = v;
        present[k] = 1;
        stepSamples[k]! += 1;
      }
      if (values && present) out.push({ labels: s.labels, values, present });
    }
    return out;
  };

  const rangeFunction = (call: Call, ms: MatrixSelector): StepSeries[] => {
    const fn = RANGE_FUNCTIONS[call.func]!;
    const keepName = KEEP_NAME.has(call.func);
    const pos = call.args[0]?.pos ?? call.pos;
    const offset = ms.selector.offset;
    const drops = USES_DROPS.has(call.func);
    const window: { ts: ArrayLike<number>; vs: ArrayLike<number>; lo: number; hi: number; drops: Int32Array | undefined } = {
      ts: EMPTY,
      vs: EMPTY,
      lo: 0,
      hi: 0,
      drops: undefined,
    };
    const bounds = { rangeStart: 0, rangeEnd: 0, range: ms.range };
    const out: StepSeries[] = [];
    for (const s of host.loadRange(ms.selector)) {
      const { ts, vs } = s;
      const n = ts.length;
      window.ts = ts;
      window.vs = vs;
      window.drops = drops ? valueDrops(vs) : undefined;
      let values: Float64Array | undefined;
      let present: Uint8Array | undefined;
      let lo = 0;
      let hi = 0;
      let seen = false;
      for (let k = 0; k < steps; k++) {
        host.checkDeadline();
        const end = (times[k] ?? 0) - offset;
        const start = end - ms.range;
        while (hi < n && (ts[hi] ?? 0) <= end) hi++;
        while (lo < n && (ts[lo] ?? 0) <= start) lo++;
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
        values ??= new Float64Array(steps);
        present ??= new Uint8Array(steps);
        values[k] = v;
        present[k] = 1;
      }
      if (values && present) out.push({ labels: keepName ? s.labels : dropName(s.labels), values, present });
    }
    return out;
  };

  const aggregation = (e: AggregateExpr, op: ReducingOp, input: readonly StepSeries[]): StepSeries[] => {
    const sortedGrouping = [...new Set(e.grouping)].sort();
    const groups = new Map<string, { labels: Labels; members: StepSeries[] }>();
    for (const s of input) {
      const key = groupKey(s.labels, sortedGrouping, e.without);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { labels: groupLabels(s.labels, e.grouping, e.without), members: [] }));
      g.members.push(s);
    }
    const out: StepSeries[] = [];
    if (op === "sum" || op === "count" || op === "group") {
      for (const g of groups.values()) out.push(countOrSum(op, g.labels, g.members));
      return out;
    }
    const folded: number[] = [];
    for (const g of groups.values()) {
      host.checkDeadline();
      const values = new Float64Array(steps);
      const present = new Uint8Array(steps);
      for (let k = 0; k < steps; k++) {
        folded.length = 0;
        for (const m of g.members) if (m.present[k] === 1) folded.push(m.values[k]!);
        if (folded.length === 0) continue;
        values[k] = reduceGroup(op, folded, 0);
        present[k] = 1;
      }
      out.push({ labels: g.labels, values, present });
    }
    return out;
  };

  /** sum, count and group folded member by member: sum adds in input order per step, as kahanSum does. */
  const countOrSum = (op: "sum" | "count" | "group", labels: Labels, members: readonly StepSeries[]): StepSeries => {
    const values = new Float64Array(steps);
    const present = new Uint8Array(steps);
    const compensation = op === "sum" ? new Float64Array(steps) : undefined;
    for (const m of members) {
      host.checkDeadline();
      for (let k = 0; k < steps; k++) {
        if (m.present[k] !== 1) continue;
        present[k] = 1;
        if (compensation) kahanAddAt(values, compensation, k, m.values[k]!);
        else if (op === "count") values[k]! += 1;
        else values[k] = 1;
      }
    }
    if (compensation) for (let k = 0; k < steps; k++) values[k] = kahanResult(values[k]!, compensation[k]!);
    return { labels, values, present };
  };

  const evaluate = (e: Expr): StepSeries[] => {
    switch (e.type) {
      case "paren":
        return evaluate(e.expr);
      case "vectorSelector":
        return instantSelector(e);
      case "call":
        return rangeFunction(e, rangeSelector(e)!);
      case "aggregate":
        if (!isReducingOp(e.op)) throw new Error(`aggregation ${e.op} cannot run series-major`);
        return aggregation(e, e.op, evaluate(e.expr));
      default:
        throw new Error(`${e.type} cannot run series-major`);
    }
  };

  const visit = (e: Expr, selectorAllowed: boolean): void => {
    if (supported(e, selectorAllowed)) {
      nodes.set(e, evaluate(e));
      return;
    }
    switch (e.type) {
      case "paren":
        visit(e.expr, selectorAllowed);
        return;
      case "unary":
        visit(e.expr, false);
        return;
      case "binary":
        visit(e.lhs, false);
        visit(e.rhs, false);
        return;
      case "aggregate":
        if (e.param) visit(e.param, false);
        visit(e.expr, true);
        return;
      case "call":
        for (const a of e.args) visit(a, false);
        return;
      default:
        return;
    }
  };

  visit(expr, true);
  return { nodes, stepSamples };
}
