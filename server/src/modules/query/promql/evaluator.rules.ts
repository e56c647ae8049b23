/**
 * The PromQL evaluator: pure and synchronous over a `SeriesSource`. Evaluates an AST at one instant
 * (instant query) or at every step of a range (range query) with Prometheus 3.x semantics: left-open
 * lookback and range windows, staleness markers, `@` and offsets, subqueries aligned to their step.
 */
import type {
  AggregateExpr,
  AtModifier,
  BinaryExpr,
  Call,
  Expr,
  Matcher,
  MatrixSelector,
  SubqueryExpr,
  VectorSelector,
} from "#server/modules/query/promql/ast.ts";
import { PromQLError, TOO_MANY_POINTS, TOO_MANY_SAMPLES } from "#server/modules/query/promql/errors.ts";
import { callFunction, knownDistinct, type FunctionContext, type RangeInput, type RangeSeries } from "#server/modules/query/promql/functions.rules.ts";
import { aggregate } from "#server/modules/query/promql/aggregate.rules.ts";
import { binaryOp } from "#server/modules/query/promql/binary.rules.ts";
import { compareLabels, dropName, labelsKey, matches } from "#server/modules/query/promql/labels.ts";
import { compileRegex, parsePromQL, typeOf, type ParseOptions } from "#server/modules/query/promql/parser.ts";
import { inThreadFolder, type FoldOutput, type RangeFoldJob, type RangeFolder } from "#server/modules/query/promql/range-fold.rules.ts";
import {
  evaluateSeriesMajor,
  type RangeLoadedSeries,
  type SeriesMajorHost,
  type SeriesMajorResult,
  type StepSeries,
} from "#server/modules/query/promql/series-major.rules.ts";
import {
  isStaleNaN,
  type Labels,
  type MatrixValue,
  type Point,
  type Sample,
  type SeriesSource,
  type SourceSeries,
  type Value,
  type VectorValue,
} from "#server/modules/query/promql/types.ts";

export interface EngineOptions {
  /** Lookback delta in ms (default 5 minutes). */
  readonly lookbackDelta?: number;
  /** Default subquery step in ms when none is written (default 1 minute). */
  readonly defaultSubqueryStep?: number;
  /** Maximum samples held at once (default 50,000,000). */
  readonly maxSamples?: number;
  /** Absolute deadline (ms since epoch, compared with `now()`); exceeded → `timeout` error. */
  readonly deadline?: number;
  /** Clock used for the deadline (default Date.now). */
  readonly now?: () => number;
  /** Allow experimental functions. */
  readonly experimental?: boolean;
  /**
   * Run the subtrees that allow it series-major in range queries (default true; results are the
   * same, false forces step-by-step evaluation, the reference the tests compare against).
   */
  readonly seriesMajor?: boolean;
  /** Receives Prometheus-style annotations ("PromQL warning: …", "PromQL info: …"), deduplicated. */
  readonly annotations?: Annotations;
  /** Runs series-major folds of range functions into aggregation groups (default: in this thread). */
  readonly rangeFolder?: RangeFolder;
}

/** Collector for the `warnings` and `infos` of a query response. */
export interface Annotations {
  readonly warnings: string[];
  readonly infos: string[];
}

export type Annotate = (kind: "warning" | "info", message: string, pos: number) => void;

export interface Selection {
  readonly matchers: readonly Matcher[];
  /** Inclusive bounds in ms of the samples the evaluation needs. */
  readonly mint: number;
  readonly maxt: number;
}

const DEFAULT_LOOKBACK = 5 * 60_000;
const DEFAULT_SUBQUERY_STEP = 60_000;
const MAX_POINTS = 11_000;

interface Window {
  readonly start: number;
  readonly end: number;
}

/**
 * Lists the selections an expression will make when evaluated from `start` to `end` (ms; equal for an
 * instant query), so a caller can prefetch them asynchronously before the synchronous evaluation.
 */
export function planSelections(expr: Expr, start: number, end: number, options: EngineOptions = {}): Selection[] {
  const lookback = options.lookbackDelta ?? DEFAULT_LOOKBACK;
  const out: Selection[] = [];
  const resolveAt = (at: AtModifier | undefined, w: Window): Window => {
    if (!at) return w;
    const t = at.kind === "time" ? at.ms : at.kind === "start" ? start : end;
    return { start: t, end: t };
  };
  const walk = (e: Expr, w: Window): void => {
    switch (e.type) {
      case "vectorSelector": {
        const r = resolveAt(e.at, w);
        out.push({ matchers: e.matchers, mint: r.start - e.offset - lookback + 1, maxt: r.end - e.offset });
        return;
      }
      case "matrixSelector": {
        const r = resolveAt(e.selector.at, w);
        out.push({ matchers: e.selector.matchers, mint: r.start - e.selector.offset - e.range + 1, maxt: r.end - e.selector.offset });
        return;
      }
      case "subquery": {
        const r = resolveAt(e.at, w);
        walk(e.expr, { start: r.start - e.offset - e.range, end: r.end - e.offset });
        return;
      }
      case "unary":
      case "paren":
        walk(e.expr, w);
        return;
      case "binary":
        walk(e.lhs, w);
        walk(e.rhs, w);
        return;
      case "aggregate":
        if (e.param) walk(e.param, w);
        walk(e.expr, w);
        return;
      case "call":
        for (const a of e.args) walk(a, w);
        return;
      case "number":
      case "string":
        return;
    }
  };
  walk(expr, { start, end });
  return out;
}

/** Staleness markers in `values`; only a NaN can be one, so the bit test runs for NaNs alone. */
function staleMarkers(values: ArrayLike<number>): number {
  let stale = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== v && isStaleNaN(v)) stale++;
  }
  return stale;
}

function withoutStaleMarkers(s: SourceSeries): RangeLoadedSeries {
  const { timestamps, values } = s;
  // A scan of every value costs as much as a fifth of a large rate() query: skipped when the store knows.
  const stale = s.withoutNaN === true ? 0 : staleMarkers(values);
  if (stale === 0) return { labels: s.labels, ts: timestamps, vs: values };
  const ts = new Float64Array(values.length - stale);
  const vs = new Float64Array(values.length - stale);
  let j = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? NaN;
    if (isStaleNaN(v)) continue;
    ts[j] = timestamps[i] ?? 0;
    vs[j++] = v;
  }
  return { labels: s.labels, ts, vs };
}

/** Index of the first element > t (upper bound) in a sorted timestamp array. */
function upperBound(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] ?? 0) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Evaluator implements SeriesMajorHost {
  private readonly source: SeriesSource;
  readonly lookback: number;
  private readonly subStep: number;
  private readonly maxSamples: number;
  private readonly deadline: number | undefined;
  private readonly now: () => number;
  readonly queryStart: number;
  readonly queryEnd: number;
  private readonly selections = new Map<VectorSelector, SourceSeries[]>();
  private readonly plan: Map<Matcher[] | readonly Matcher[], Selection>;
  private readonly subqueryCache = new Map<SubqueryExpr, Map<number, VectorValue>>();
  private checks = 0;
  private currentSamples = 0;
  private readonly annotations: Annotations | undefined;
  private readonly rangeFolder: RangeFolder;
  private readonly seenAnnotations = new Set<string>();
  /** Query text, when known, to print annotation positions as line:column. */
  queryText: string | undefined;
  isRangeQuery = false;

  constructor(source: SeriesSource, expr: Expr, start: number, end: number, options: EngineOptions) {
    this.source = source;
    this.lookback = options.lookbackDelta ?? DEFAULT_LOOKBACK;
    this.subStep = options.defaultSubqueryStep ?? DEFAULT_SUBQUERY_STEP;
    this.maxSamples = options.maxSamples ?? 50_000_000;
    this.deadline = options.deadline;
    this.now = options.now ?? Date.now;
    this.queryStart = start;
    this.queryEnd = end;
    this.annotations = options.annotations;
    this.rangeFolder = options.rangeFolder ?? inThreadFolder;
    this.plan = new Map();
    for (const s of planSelections(expr, start, end, options)) {
      const prev = this.plan.get(s.matchers);
      this.plan.set(
        s.matchers,
        prev ? { matchers: s.matchers, mint: Math.min(prev.mint, s.mint), maxt: Math.max(prev.maxt, s.maxt) } : s,
      );
    }
  }

  readonly annotate: Annotate = (kind, message, pos) => {
    if (!this.annotations) return;
    let line = 1;
    let col = pos + 1;
    if (this.queryText !== undefined) {
      const before = this.queryText.slice(0, pos);
      line = before.split("\n").length;
      col = pos - before.lastIndexOf("\n");
    }
    const text = `PromQL ${kind}: ${message} (${line}:${col})`;
    if (this.seenAnnotations.has(text)) return;
    this.seenAnnotations.add(text);
    (kind === "warning" ? this.annotations.warnings : this.annotations.infos).push(text);
  };

  foldRange(job: RangeFoldJob): FoldOutput {
    return this.rangeFolder.fold(job);
  }

  checkDeadline(): void {
    if (this.deadline === undefined) return;
    if (++this.checks % 64 !== 0) return;
    if (this.now() > this.deadline) throw new PromQLError("timeout", "query timed out in expression evaluation");
  }

  private addSamples(n: number): void {
    this.currentSamples += n;
    if (this.currentSamples > this.maxSamples) throw new PromQLError("too_many_samples", TOO_MANY_SAMPLES);
  }

  /** Starts step `k` of a range query: the samples held at once are that step's. */
  startStep(k: number): void {
    this.step = k;
    this.currentSamples = 0;
    this.addSamples(this.seriesMajor?.stepSamples[k] ?? 0);
  }

  private seriesMajor: (SeriesMajorResult & { readonly times: readonly number[] }) | undefined;
  private step = 0;

  /** Evaluates the subtrees that can run series-major over all step `times` of a range query, ahead of stepping. */
  prepareSeriesMajor(expr: Expr, times: readonly number[]): void {
    this.seriesMajor = { ...evaluateSeriesMajor(expr, times, this), times };
  }

  /** The root's value at every step when the whole query ran series-major. */
  seriesMajorRoot(expr: Expr): readonly StepSeries[] | undefined {
    return this.seriesMajor?.nodes.get(expr);
  }

  /** The vector of a series-major subtree at the current step, if `expr` is one and `t` is that step's time. */
  private seriesMajorVector(expr: Expr, t: number): VectorValue | undefined {
    const sm = this.seriesMajor;
    const series = sm?.nodes.get(expr);
    if (series === undefined || sm?.times[this.step] !== t) return undefined;
    const k = this.step;
    const samples: Sample[] = [];
    for (const s of series) if (s.present[k] === 1) samples.push({ labels: s.labels, value: s.values[k]!, ts: t });
    const v: VectorValue = { type: "vector", samples };
    knownDistinct.add(v);
    return v;
  }

  private readonly distinctCache = new Map<VectorSelector, boolean>();

  /** Whether the selector's series keep distinct label sets once `__name__` is dropped (checked once per query). */
  distinctWithoutName(sel: VectorSelector): boolean {
    let distinct = this.distinctCache.get(sel);
    if (distinct === undefined) {
      const keys = new Set(this.load(sel).map((s) => labelsKey(dropName(s.labels))));
      distinct = keys.size === this.load(sel).length;
      this.distinctCache.set(sel, distinct);
    }
    return distinct;
  }

  loadInstant(sel: VectorSelector): SourceSeries[] {
    return this.load(sel);
  }

  private load(sel: VectorSelector): SourceSeries[] {
    const cached = this.selections.get(sel);
    if (cached) return cached;
    const plan = this.plan.get(sel.matchers);
    const mint = plan?.mint ?? -Infinity;
    const maxt = plan?.maxt ?? Infinity;
    const raw: readonly SourceSeries[] = this.source.select(sel.matchers, mint, maxt);
    const regexes = sel.matchers.map((m) => (m.type === "=~" || m.type === "!~" ? compileRegex(m.value) : undefined));
    const matching = raw.filter((s) => sel.matchers.every((m, i) => matches(m, s.labels[m.name] ?? "", regexes[i])));
    this.selections.set(sel, matching);
    return matching;
  }

  private readonly rangeSelections = new Map<VectorSelector, RangeLoadedSeries[]>();

  /** The selector's series for range windows (staleness markers dropped once per query). */
  loadRange(sel: VectorSelector): RangeLoadedSeries[] {
    let loaded = this.rangeSelections.get(sel);
    if (loaded === undefined) {
      loaded = this.load(sel).map(withoutStaleMarkers);
      this.rangeSelections.set(sel, loaded);
    }
    return loaded;
  }

  private atTime(at: AtModifier | undefined, t: number): number {
    if (!at) return t;
    if (at.kind === "time") return at.ms;
    return at.kind === "start" ? this.queryStart : this.queryEnd;
  }

  eval(expr: Expr, t: number): Value {
    this.checkDeadline();
    const precomputed = this.seriesMajor === undefined ? undefined : this.seriesMajorVector(expr, t);
    if (precomputed) return precomputed;
    switch (expr.type) {
      case "number":
        return { type: "scalar", value: expr.value };
      case "string":
        return { type: "string", value: expr.value };
      case "paren":
        return this.eval(expr.expr, t);
      case "vectorSelector":
        return this.vectorSelector(expr, t);
      case "matrixSelector":
        return this.matrixSelector(expr, t).value;
      case "subquery":
        return this.subquery(expr, t).value;
      case "unary": {
        const v = this.eval(expr.expr, t);
        if (expr.op === "+") return v;
        if (v.type === "scalar") return { type: "scalar", value: -v.value };
        if (v.type !== "vector") throw new PromQLError("execution", "unary minus on non-vector");
        return checkDuplicates({
          type: "vector",
          samples: v.samples.map((s) => ({ labels: dropName(s.labels), value: -s.value, ts: t })),
        });
      }
      case "binary":
        return this.binary(expr, t);
      case "aggregate":
        return this.aggregate(expr, t);
      case "call":
        return this.call(expr, t);
    }
  }

  private vectorSelector(sel: VectorSelector, t: number): VectorValue {
    const at = this.atTime(sel.at, t) - sel.offset;
    const samples: Sample[] = [];
    for (const s of this.load(sel)) {
      const i = upperBound(s.timestamps, at) - 1;
      if (i < 0) continue;
      const ts = s.timestamps[i] ?? 0;
      if (ts <= at - this.lookback) continue;
      const v = s.values[i] ?? NaN;
      if (isStaleNaN(v)) continue;
      samples.push({ labels: s.labels, value: v, ts });
    }
    this.addSamples(samples.length);
    return { type: "vector", samples };
  }

  matrixSelector(ms: MatrixSelector, t: number): { value: MatrixValue; input: RangeInput } {
    const input = this.matrixWindow(ms, t);
    return { value: toMatrix(input.series), input };
  }

  private matrixWindow(ms: MatrixSelector, t: number): RangeInput {
    const end = this.atTime(ms.selector.at, t) - ms.selector.offset;
    const start = end - ms.range;
    const series: RangeSeries[] = [];
    let count = 0;
    for (const s of this.loadRange(ms.selector)) {
      const hi = upperBound(s.ts, end);
      const lo = upperBound(s.ts, start);
      if (hi <= lo) continue;
      count += hi - lo;
      series.push({ labels: s.labels, ts: s.ts, vs: s.vs, lo, hi });
    }
    this.addSamples(count);
    return { series, rangeStart: start, rangeEnd: end, range: ms.range, distinctWithoutName: this.distinctWithoutName(ms.selector) };
  }

  private subqueryVector(sq: SubqueryExpr, ts: number): VectorValue {
    let cache = this.subqueryCache.get(sq);
    if (!cache) {
      cache = new Map();
      this.subqueryCache.set(sq, cache);
    }
    const hit = cache.get(ts);
    if (hit) return hit;
    const v = this.eval(sq.expr, ts);
    if (v.type !== "vector") throw new PromQLError("execution", "subquery expression must return an instant vector");
    cache.set(ts, v);
    return v;
  }

  subquery(sq: SubqueryExpr, t: number): { value: MatrixValue; input: RangeInput } {
    const input = this.subqueryWindow(sq, t);
    return { value: toMatrix(input.series), input };
  }

  private subqueryWindow(sq: SubqueryExpr, t: number): RangeInput {
    const end = this.atTime(sq.at, t) - sq.offset;
    const start = end - sq.range;
    const step = sq.step ?? this.subStep;
    // First aligned step strictly after `start` (Go integer division truncates toward zero).
    let first = Math.trunc(start / step) * step;
    if (first <= start) first += step;
    const bySeries = new Map<string, { labels: Labels; ts: number[]; vs: Float64Array; n: number }>();
    const capacity = Math.max(1, Math.floor((end - first) / step) + 1);
    let count = 0;
    for (let ts = first; ts <= end; ts += step) {
      this.checkDeadline();
      const v = this.subqueryVector(sq, ts);
      for (const s of v.samples) {
        const key = labelsKey(s.labels);
        let entry = bySeries.get(key);
        if (!entry) {
          entry = { labels: s.labels, ts: [], vs: new Float64Array(capacity), n: 0 };
          bySeries.set(key, entry);
        }
        entry.ts.push(ts);
        entry.vs[entry.n++] = s.value;
        count++;
      }
    }
    this.addSamples(count);
    const series: RangeSeries[] = [...bySeries.values()].map((e) => ({ labels: e.labels, ts: e.ts, vs: e.vs, lo: 0, hi: e.n }));
    return { series, rangeStart: start, rangeEnd: end, range: sq.range };
  }

  private binary(expr: BinaryExpr, t: number): Value {
    const lhs = this.eval(expr.lhs, t);
    const rhs = this.eval(expr.rhs, t);
    const result = binaryOp(expr, lhs, rhs, t);
    if (result.type === "vector" && expr.op !== "and" && expr.op !== "or" && expr.op !== "unless") checkDuplicates(result);
    return result;
  }

  private aggregate(expr: AggregateExpr, t: number): VectorValue {
    const param = expr.param ? this.eval(expr.param, t) : undefined;
    const input = this.eval(expr.expr, t);
    if (input.type !== "vector") throw new PromQLError("execution", "aggregation over non-vector");
    return aggregate(expr, input.samples, param, t, this.annotate);
  }

  private call(expr: Call, t: number): Value {
    const ctx: FunctionContext = {
      t,
      expr,
      isRangeQuery: this.isRangeQuery,
      annotate: this.annotate,
      evalArg: (i) => {
        const arg = expr.args[i];
        if (!arg) throw new PromQLError("execution", `missing argument ${i} to ${expr.func}`);
        return this.eval(arg, t);
      },
      rangeArg: (i) => {
        const arg = unwrapParens(expr.args[i]);
        if (arg?.type === "matrixSelector") return this.matrixWindow(arg, t);
        if (arg?.type === "subquery") return this.subqueryWindow(arg, t);
        throw new PromQLError("execution", `expected a range vector argument to ${expr.func}`);
      },
    };
    const result = callFunction(ctx);
    if (result.type === "vector" && !KEEPS_DUPLICATES.has(expr.func)) checkDuplicates(result);
    return result;
  }
}

const KEEPS_DUPLICATES: ReadonlySet<string> = new Set(["sort", "sort_desc", "sort_by_label", "sort_by_label_desc"]);

function toMatrix(series: readonly RangeSeries[]): MatrixValue {
  return {
    type: "matrix",
    series: series.map((s) => {
      const points: Point[] = [];
      for (let i = s.lo; i < s.hi; i++) points.push({ t: s.ts[i] ?? 0, v: s.vs[i] ?? NaN });
      return { labels: s.labels, points };
    }),
  };
}

function unwrapParens(e: Expr | undefined): Expr | undefined {
  let cur = e;
  while (cur?.type === "paren") cur = cur.expr;
  return cur;
}

/** Prometheus rejects vectors with two samples of the same label set. */
export function checkDuplicates(v: VectorValue): VectorValue {
  if (v.samples.length < 2 || knownDistinct.has(v)) return v;
  const seen = new Set<string>();
  for (const s of v.samples) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) throw new PromQLError("execution", "vector cannot contain metrics with the same labelset");
    seen.add(key);
  }
  return v;
}

export interface InstantQuery {
  readonly query: string | Expr;
  /** Evaluation time in ms. */
  readonly time: number;
}

export interface RangeQuery {
  readonly query: string | Expr;
  /** Start, end and step in ms. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

function toExpr(query: string | Expr, options: ParseOptions): Expr {
  return typeof query === "string" ? parsePromQL(query, options) : query;
}

/** Evaluates an instant query. Returns a scalar, string, vector or matrix (for a range-vector expression). */
export function evaluateInstant(source: SeriesSource, q: InstantQuery, options: EngineOptions = {}): Value {
  const expr = toExpr(q.query, options);
  const ev = new Evaluator(source, expr, q.time, q.time, options);
  if (typeof q.query === "string") ev.queryText = q.query;
  const v = ev.eval(expr, q.time);
  if (v.type === "vector") {
    return { type: "vector", samples: v.samples.map((s) => ({ labels: s.labels, value: s.value, ts: q.time })) };
  }
  return v;
}

/** Evaluates a range query into a matrix sorted by labels. */
export function evaluateRange(source: SeriesSource, q: RangeQuery, options: EngineOptions = {}): MatrixValue {
  const expr = toExpr(q.query, options);
  if (!(q.step > 0)) throw new PromQLError("bad_data", "zero or negative query resolution step widths are not accepted. Try a positive integer");
  if (q.end < q.start) throw new PromQLError("bad_data", "end timestamp must not be before start time");
  if ((q.end - q.start) / q.step > MAX_POINTS) throw new PromQLError("bad_data", TOO_MANY_POINTS);
  const t = typeOf(expr);
  if (t !== "scalar" && t !== "vector") {
    throw new PromQLError(
      "bad_data",
      `invalid expression type "${t === "matrix" ? "range vector" : "string"}" for range query, must be Scalar or instant Vector`,
    );
  }
  const maxSamples = options.maxSamples ?? 50_000_000;
  const ev = new Evaluator(source, expr, q.start, q.end, options);
  if (typeof q.query === "string") ev.queryText = q.query;
  ev.isRangeQuery = true;
  const times: number[] = [];
  for (let ts = q.start; ts <= q.end; ts += q.step) times.push(ts);
  if (options.seriesMajor !== false) ev.prepareSeriesMajor(expr, times);
  const bySeries = new Map<string, { labels: Labels; points: Point[] }>();
  let total = 0;
  const root = ev.seriesMajorRoot(expr);
  if (root) {
    for (let k = 0; k < times.length; k++) ev.startStep(k);
    for (const s of root) {
      const points: Point[] = [];
      for (let k = 0; k < times.length; k++) if (s.present[k] === 1) points.push({ t: times[k]!, v: s.values[k]! });
      total += points.length;
      if (total > maxSamples) throw new PromQLError("too_many_samples", TOO_MANY_SAMPLES);
      bySeries.set(labelsKey(s.labels), { labels: s.labels, points });
    }
  } else {
    for (let k = 0; k < times.length; k++) {
      const ts = times[k]!;
      ev.startStep(k);
      const v = ev.eval(expr, ts);
      const samples: readonly { labels: Labels; value: number }[] =
        v.type === "scalar" ? [{ labels: {}, value: v.value }] : v.type === "vector" ? v.samples : [];
      for (const s of samples) {
        const key = labelsKey(s.labels);
        let entry = bySeries.get(key);
        if (!entry) {
          entry = { labels: s.labels, points: [] };
          bySeries.set(key, entry);
        }
        entry.points.push({ t: ts, v: s.value });
      }
      total += samples.length;
      if (total > maxSamples) throw new PromQLError("too_many_samples", TOO_MANY_SAMPLES);
    }
  }
  const series = [...bySeries.values()].sort((a, b) => compareLabels(a.labels, b.labels));
  return { type: "matrix", series };
}
