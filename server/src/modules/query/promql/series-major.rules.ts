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
import {
  finishRow,
  FOLD_OPS,
  foldMember,
  HAD_SAMPLES,
  HAD_VALUE,
  RangeSeriesEvaluator,
  type FoldOp,
  type FoldOutput,
  type FoldRows,
  type RangeFoldJob,
  type RangeSpec,
} from "#server/modules/query/promql/range-fold.rules.ts";
import { counterNameInfo, isWindowOnlyFunction, KEEP_NAME } from "#server/modules/query/promql/range-functions.rules.ts";
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
  /** Folds range-function series into group rows (range-fold.rules.ts's inThreadFolder, or over several threads). */
  foldRange(job: RangeFoldJob): FoldOutput;
}

export interface SeriesMajorResult {
  /** The series-major subtrees, each with its value at every step. */
  readonly nodes: ReadonlyMap<Expr, readonly StepSeries[]>;
  /** Samples loaded at each step by those subtrees (the step evaluator's maxSamples budget). */
  readonly stepSamples: Float64Array;
}

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

/** rate() and increase()'s "might not be a counter" info, checked once per metric name. */
class NameCheck {
  private checked: string | undefined | null = null;
  private readonly func: string;
  private readonly pos: number;
  private readonly host: SeriesMajorHost;

  constructor(call: Call, host: SeriesMajorHost) {
    this.func = call.func;
    this.pos = call.args[0]?.pos ?? call.pos;
    this.host = host;
  }

  /** A series of these labels had samples in some window. */
  seen(labels: Labels): void {
    const name = labels[METRIC_NAME];
    // Series of one name usually come together: one check per run of a name.
    if (name === this.checked) return;
    this.checked = name;
    const info = counterNameInfo(this.func, name);
    if (info !== undefined) this.host.annotate("info", info, this.pos);
  }
}

class SeriesMajorPass {
  readonly nodes = new Map<Expr, readonly StepSeries[]>();
  readonly stepSamples: Float64Array;
  private readonly steps: number;
  private readonly values: Float64Array;
  private readonly present: Uint8Array;

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
    const { host, values, present, stepSamples } = this;
    const keepName = KEEP_NAME.has(call.func);
    const evaluator = new RangeSeriesEvaluator(this.rangeSpec(call, ms));
    const check = () => host.checkDeadline();
    const names = new NameCheck(call, host);
    for (const s of host.loadRange(ms.selector)) {
      host.checkDeadline();
      const flags = evaluator.evaluate(s, values, present, stepSamples, check);
      if ((flags & HAD_SAMPLES) !== 0) names.seen(s.labels);
      if ((flags & HAD_VALUE) !== 0) visit(keepName ? s.labels : dropName(s.labels), values, present);
    }
  }

  private rangeSpec(call: Call, ms: MatrixSelector): RangeSpec {
    return { func: call.func, range: ms.range, offset: ms.selector.offset, times: this.times };
  }

  /**
   * A folding aggregation straight over a range function: its group rows filled by the host's
   * folder (perhaps on several threads), in the order and with the annotations of eachRangeSeries.
   */
  private foldRange(e: AggregateExpr, op: FoldOp, call: Call, ms: MatrixSelector): StepSeries[] {
    const { host, steps } = this;
    const series = host.loadRange(ms.selector);
    const keepName = KEEP_NAME.has(call.func);
    const sortedGrouping = [...new Set(e.grouping)].sort();
    const rowOf = new Int32Array(series.length);
    const rowByKey = new Map<string, number>();
    const rowLabels: Labels[] = [];
    series.forEach((s, i) => {
      const labels = keepName ? s.labels : dropName(s.labels);
      const key = groupKey(labels, sortedGrouping, e.without);
      let row = rowByKey.get(key);
      if (row === undefined) {
        row = rowLabels.length;
        rowByKey.set(key, row);
        rowLabels.push(groupLabels(labels, e.grouping, e.without));
      }
      rowOf[i] = row;
    });
    const out = host.foldRange({ spec: this.rangeSpec(call, ms), op, series, rowOf, rows: rowLabels.length, check: () => host.checkDeadline() });
    const threads = out.stepSamples.length / steps;
    for (let t = 0; t < threads; t++) for (let k = 0; k < steps; k++) this.stepSamples[k]! += out.stepSamples[t * steps + k]!;
    const names = new NameCheck(call, host);
    const result: StepSeries[] = [];
    const emitted = new Uint8Array(rowLabels.length);
    for (let i = 0; i < series.length; i++) {
      const flags = out.flags[i]!;
      if ((flags & HAD_SAMPLES) !== 0) names.seen(series[i]!.labels);
      const row = rowOf[i]!;
      if ((flags & HAD_VALUE) === 0 || emitted[row] === 1) continue;
      emitted[row] = 1;
      finishRow(op, out, row, steps);
      const cells = row * steps;
      result.push({ labels: rowLabels[row]!, values: out.values.subarray(cells, cells + steps), present: out.present.subarray(cells, cells + steps) });
    }
    return result;
  }

  private aggregate(e: AggregateExpr): StepSeries[] {
    if (!isReducingOp(e.op)) throw new Error(`aggregation ${e.op} cannot run series-major`);
    const op = e.op;
    if (FOLD_OPS.has(op)) {
      const inner = unwrapParens(e.expr);
      const ms = inner.type === "call" ? this.rangeSelector(inner) : undefined;
      if (inner.type === "call" && ms !== undefined) return this.foldRange(e, op as FoldOp, inner, ms);
      return this.foldStreaming(e, op as FoldOp);
    }
    const sortedGrouping = [...new Set(e.grouping)].sort();
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

  /** A folding aggregation over any other series-major child, member by member into per-group accumulators. */
  private foldStreaming(e: AggregateExpr, op: FoldOp): StepSeries[] {
    const { steps } = this;
    const sortedGrouping = [...new Set(e.grouping)].sort();
    const groups = new Map<string, { labels: Labels; rows: FoldRows }>();
    this.eachSeries(e.expr, (labels, values, present) => {
      this.host.checkDeadline();
      const key = groupKey(labels, sortedGrouping, e.without);
      let g = groups.get(key);
      if (!g) {
        const rows = { values: new Float64Array(steps), present: new Uint8Array(steps), compensation: op === "sum" ? new Float64Array(steps) : undefined };
        g = { labels: groupLabels(labels, e.grouping, e.without), rows };
        groups.set(key, g);
      }
      foldMember(op, g.rows, 0, values, present);
    });
    const out: StepSeries[] = [];
    for (const g of groups.values()) {
      finishRow(op, g.rows, 0, steps);
      out.push({ labels: g.labels, values: g.rows.values, present: g.rows.present });
    }
    return out;
  }
}
