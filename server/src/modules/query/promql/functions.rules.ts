/** PromQL function implementations (instant-vector, range-vector, label and time functions). */
import type { Call, Expr, Matcher } from "#server/modules/query/promql/ast.ts";
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { compareLabels, dropName, labelsKey, METRIC_NAME } from "#server/modules/query/promql/labels.ts";
import { formatGo } from "#server/modules/query/promql/math.rules.ts";
import {
  counterNameInfo,
  KEEP_NAME,
  RANGE_FUNCTIONS,
  type RangeFn,
  type RangeFunctionArgs,
  type SampleWindow,
} from "#server/modules/query/promql/range-functions.rules.ts";
import { compileRegex } from "#server/modules/query/promql/parser.ts";
import { isValidLabelName } from "#server/modules/query/promql/aggregate.rules.ts";
import type { Labels, Sample, Value, VectorValue } from "#server/modules/query/promql/types.ts";

/** A range-vector argument: the series in the window (rangeStart, rangeEnd]. */
export interface RangeInput {
  readonly series: readonly RangeSeries[];
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly range: number;
  /** True when the selected series stay distinct without `__name__`, so results cannot collide. */
  readonly distinctWithoutName?: boolean;
}

/** Vectors proven free of duplicate label sets when built; the evaluator skips re-checking them. */
export const knownDistinct = new WeakSet<VectorValue>();

export interface FunctionContext {
  /** Evaluation time (ms). */
  readonly t: number;
  readonly expr: Call;
  readonly isRangeQuery: boolean;
  annotate(kind: "warning" | "info", message: string, pos: number): void;
  evalArg(index: number): Value;
  rangeArg(index: number): RangeInput;
}

function vec(samples: Sample[]): VectorValue {
  return { type: "vector", samples };
}

function vectorArg(ctx: FunctionContext, i: number): readonly Sample[] {
  const v = ctx.evalArg(i);
  if (v.type !== "vector") throw new PromQLError("execution", `expected instant vector argument to ${ctx.expr.func}`);
  return v.samples;
}

function scalarArg(ctx: FunctionContext, i: number): number {
  const v = ctx.evalArg(i);
  if (v.type !== "scalar") throw new PromQLError("execution", `expected scalar argument to ${ctx.expr.func}`);
  return v.value;
}

function stringArg(ctx: FunctionContext, i: number): string {
  const v = ctx.evalArg(i);
  if (v.type !== "string") throw new PromQLError("execution", `expected string argument to ${ctx.expr.func}`);
  return v.value;
}

function mapVector(ctx: FunctionContext, f: (v: number) => number): VectorValue {
  return vec(vectorArg(ctx, 0).map((s) => ({ labels: dropName(s.labels), value: f(s.value), ts: ctx.t })));
}

const MATH: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sqrt: Math.sqrt,
  sgn: (v) => (v > 0 ? 1 : v < 0 ? -1 : v),
  deg: (v) => (v * 180) / Math.PI,
  rad: (v) => (v * Math.PI) / 180,
  acos: Math.acos,
  acosh: Math.acosh,
  asin: Math.asin,
  asinh: Math.asinh,
  atan: Math.atan,
  atanh: Math.atanh,
  cos: Math.cos,
  cosh: Math.cosh,
  sin: Math.sin,
  sinh: Math.sinh,
  tan: Math.tan,
  tanh: Math.tanh,
};

const DATE: Readonly<Record<string, (d: Date) => number>> = {
  minute: (d) => d.getUTCMinutes(),
  hour: (d) => d.getUTCHours(),
  day_of_week: (d) => d.getUTCDay(),
  day_of_month: (d) => d.getUTCDate(),
  day_of_year: (d) => {
    const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
    return Math.floor((d.getTime() - startOfYear) / 86_400_000) + 1;
  },
  days_in_month: (d) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
};

/** One series' window in a range-vector argument (indices into its arrays, see SampleWindow). */
export interface RangeSeries extends SampleWindow {
  readonly labels: Labels;
}

function rangeFunction(ctx: FunctionContext, name: string, fn: RangeFn): VectorValue {
  const argIndex = name === "quantile_over_time" ? 1 : 0;
  const input = ctx.rangeArg(argIndex);
  const out: Sample[] = [];
  if (name === "quantile_over_time" && input.series.length > 0) {
    const q = scalarArg(ctx, 0);
    if (!(q >= 0 && q <= 1)) ctx.annotate("warning", `quantile value should be between 0 and 1, got ${formatGo(q)}`, ctx.expr.args[0]?.pos ?? ctx.expr.pos);
  }
  const args: RangeFunctionArgs = { t: ctx.t, scalar: (i) => scalarArg(ctx, i) };
  const keepName = KEEP_NAME.has(name);
  for (const s of input.series) {
    if (s.hi <= s.lo) continue;
    const info = counterNameInfo(name, s.labels[METRIC_NAME]);
    if (info !== undefined) ctx.annotate("info", info, ctx.expr.args[0]?.pos ?? ctx.expr.pos);
    const v = fn(s, input, args);
    if (v === undefined) continue;
    out.push({ labels: keepName ? s.labels : dropName(s.labels), value: v, ts: ctx.t });
  }
  const result = vec(out);
  if (input.distinctWithoutName === true && !keepName) knownDistinct.add(result);
  return result;
}

/** Labels for absent()/absent_over_time(): the equality matchers of the selector (minus __name__). */
function absentLabels(arg: Expr | undefined): Labels {
  let e = arg;
  while (e?.type === "paren") e = e.expr;
  let matchers: readonly Matcher[] = [];
  if (e?.type === "vectorSelector") matchers = e.matchers;
  else if (e?.type === "matrixSelector") matchers = e.selector.matchers;
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const m of matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === "=" && !seen.has(m.name)) {
      out[m.name] = m.value;
      seen.add(m.name);
    } else if (m.type === "=" || seen.has(m.name)) {
      delete out[m.name];
    }
    seen.add(m.name);
  }
  for (const k of Object.keys(out)) if (out[k] === "") delete out[k];
  return out;
}

/** Expands $1, ${1}, $name and ${name} in a replacement like Go's regexp.Expand. */
function expandTemplate(template: string, match: RegExpExecArray): string {
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== "$") {
      out += ch;
      continue;
    }
    const next = template[i + 1];
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    let name: string;
    if (next === "{") {
      const close = template.indexOf("}", i + 2);
      if (close < 0) {
        out += "$";
        continue;
      }
      name = template.slice(i + 2, close);
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        out += "$";
        continue;
      }
      i = close;
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!m) {
        out += "$";
        continue;
      }
      name = m[0];
      i += name.length;
    }
    if (/^\d+$/.test(name)) out += match[Number(name)] ?? "";
    else out += match.groups?.[name] ?? "";
  }
  return out;
}

function labelReplace(ctx: FunctionContext): VectorValue {
  const dst = stringArg(ctx, 1);
  const replacement = stringArg(ctx, 2);
  const src = stringArg(ctx, 3);
  const regexText = stringArg(ctx, 4);
  let regex: RegExp;
  try {
    regex = compileRegex(regexText);
  } catch (err) {
    throw new PromQLError("execution", `invalid regular expression in label_replace(): ${regexText}: ${(err as Error).message}`);
  }
  if (!isValidLabelName(dst)) throw new PromQLError("execution", `invalid destination label name in label_replace(): ${dst}`);
  const out = vectorArg(ctx, 0).map((s) => {
    const m = regex.exec(s.labels[src] ?? "");
    if (!m) return { labels: s.labels, value: s.value, ts: ctx.t };
    const value = expandTemplate(replacement, m);
    const labels: Record<string, string> = { ...s.labels };
    if (value === "") delete labels[dst];
    else labels[dst] = value;
    return { labels, value: s.value, ts: ctx.t };
  });
  return vec(out);
}

function labelJoin(ctx: FunctionContext): VectorValue {
  const dst = stringArg(ctx, 1);
  const sep = stringArg(ctx, 2);
  const srcs: string[] = [];
  for (let i = 3; i < ctx.expr.args.length; i++) srcs.push(stringArg(ctx, i));
  if (!isValidLabelName(dst)) throw new PromQLError("execution", `invalid destination label name in label_join(): ${dst}`);
  for (const s of srcs) {
    if (!isValidLabelName(s)) throw new PromQLError("execution", `invalid source label name in label_join(): ${s}`);
  }
  const out = vectorArg(ctx, 0).map((s) => {
    const value = srcs.map((n) => s.labels[n] ?? "").join(sep);
    const labels: Record<string, string> = { ...s.labels };
    if (value === "") delete labels[dst];
    else labels[dst] = value;
    return { labels, value: s.value, ts: ctx.t };
  });
  return vec(out);
}

interface Bucket {
  upper: number;
  count: number;
}

/** Quantile over classic cumulative buckets, as Prometheus's bucketQuantile. */
export function bucketQuantile(q: number, input: readonly Bucket[], fixed: { monotonic: boolean } = { monotonic: false }): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...input].sort((a, b) => a.upper - b.upper);
  const last = sorted[sorted.length - 1];
  if (!last || last.upper !== Infinity) return NaN;
  // Coalesce buckets with the same upper bound.
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const prev = buckets[buckets.length - 1];
    if (prev && prev.upper === b.upper) prev.count += b.count;
    else buckets.push({ upper: b.upper, count: b.count });
  }
  // Force monotonicity and ignore tiny floating-point deltas.
  for (let i = 1; i < buckets.length; i++) {
    const prev = buckets[i - 1];
    const cur = buckets[i];
    if (!prev || !cur) continue;
    if (cur.count < prev.count) {
      cur.count = prev.count;
      fixed.monotonic = true;
    }
    else if (cur.count !== prev.count && Math.abs(cur.count - prev.count) <= 1e-12 * Math.max(Math.abs(cur.count), Math.abs(prev.count))) {
      cur.count = prev.count;
    }
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1]?.count ?? 0;
  if (observations === 0 || Number.isNaN(observations)) return NaN;
  let rank = q * observations;
  let b = buckets.findIndex((x) => x.count >= rank);
  if (b < 0) b = buckets.length - 1;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]?.upper ?? NaN;
  const bucket = buckets[b];
  if (!bucket) return NaN;
  if (b === 0 && bucket.upper <= 0) return bucket.upper;
  let bucketStart = 0;
  const bucketEnd = bucket.upper;
  let count = bucket.count;
  if (b > 0) {
    const prev = buckets[b - 1];
    bucketStart = prev?.upper ?? 0;
    count -= prev?.count ?? 0;
    rank -= prev?.count ?? 0;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

function parseLe(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === "+inf" || t === "inf") return Infinity;
  if (t === "-inf") return -Infinity;
  if (t === "nan") return NaN;
  if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return undefined;
  return Number(t);
}

function histogramQuantile(ctx: FunctionContext): VectorValue {
  const q = scalarArg(ctx, 0);
  const argPos = ctx.expr.args[1]?.pos ?? ctx.expr.pos;
  if (!(q >= 0 && q <= 1)) ctx.annotate("warning", `quantile value should be between 0 and 1, got ${formatGo(q)}`, ctx.expr.args[0]?.pos ?? ctx.expr.pos);
  const groups = new Map<string, { labels: Labels; buckets: Bucket[]; les: Set<string>; name: string }>();
  for (const s of vectorArg(ctx, 1)) {
    const leText = s.labels.le;
    const upper = leText === undefined ? undefined : parseLe(leText);
    if (leText === undefined || upper === undefined) {
      ctx.annotate(
        "warning",
        `bucket label "le" is missing or has a malformed value of ${JSON.stringify(leText ?? "")} for metric name ${JSON.stringify(s.labels[METRIC_NAME] ?? "")}`,
        argPos,
      );
      continue;
    }
    const { le: _le, ...rest } = dropName(s.labels);
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) {
      g = { labels: rest, buckets: [], les: new Set(), name: s.labels[METRIC_NAME] ?? "" };
      groups.set(key, g);
    }
    // The same `le` text twice in a group means two series became identical once the name was dropped.
    if (g.les.has(leText)) throw new PromQLError("execution", "vector cannot contain metrics with the same labelset");
    g.les.add(leText);
    g.buckets.push({ upper, count: s.value });
  }
  return vec(
    [...groups.values()].map((g) => {
      const fixed = { monotonic: false };
      const value = bucketQuantile(q, g.buckets, fixed);
      if (fixed.monotonic) {
        ctx.annotate(
          "info",
          `input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name ${JSON.stringify(g.name)}`,
          argPos,
        );
      }
      return { labels: g.labels, value, ts: ctx.t };
    }),
  );
}

function sortVector(ctx: FunctionContext, desc: boolean): VectorValue {
  const samples = [...vectorArg(ctx, 0)];
  samples.sort((a, b) => {
    if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
    if (Number.isNaN(b.value)) return -1;
    return desc ? b.value - a.value : a.value - b.value;
  });
  return vec(samples);
}

function sortByLabel(ctx: FunctionContext, desc: boolean): VectorValue {
  const names: string[] = [];
  for (let i = 1; i < ctx.expr.args.length; i++) names.push(stringArg(ctx, i));
  const collator = new Intl.Collator("en", { numeric: true });
  const samples = [...vectorArg(ctx, 0)].sort((a, b) => {
    for (const n of names) {
      const c = collator.compare(a.labels[n] ?? "", b.labels[n] ?? "");
      if (c !== 0) return desc ? -c : c;
    }
    const c = compareLabels(a.labels, b.labels);
    return desc ? -c : c;
  });
  return vec(samples);
}

export function callFunction(ctx: FunctionContext): Value {
  const name = ctx.expr.func;
  const t = ctx.t;
  const math = MATH[name];
  if (math) return mapVector(ctx, math);
  const range = RANGE_FUNCTIONS[name];
  if (range) return rangeFunction(ctx, name, range);
  const date = DATE[name];
  if (date) {
    const input: readonly Sample[] =
      ctx.expr.args.length === 0 ? [{ labels: {}, value: t / 1000, ts: t }] : vectorArg(ctx, 0);
    return vec(
      input.map((s) => ({
        labels: dropName(s.labels),
        value: Number.isFinite(s.value) ? date(new Date(Math.floor(s.value) * 1000)) : NaN,
        ts: t,
      })),
    );
  }
  switch (name) {
    case "time":
      return { type: "scalar", value: t / 1000 };
    case "pi":
      return { type: "scalar", value: Math.PI };
    case "vector":
      return vec([{ labels: {}, value: scalarArg(ctx, 0), ts: t }]);
    case "scalar": {
      const v = vectorArg(ctx, 0);
      return { type: "scalar", value: v.length === 1 ? (v[0]?.value ?? NaN) : NaN };
    }
    case "timestamp":
      return vec(vectorArg(ctx, 0).map((s) => ({ labels: dropName(s.labels), value: s.ts / 1000, ts: t })));
    case "absent": {
      const v = vectorArg(ctx, 0);
      if (v.length > 0) return vec([]);
      return vec([{ labels: absentLabels(ctx.expr.args[0]), value: 1, ts: t }]);
    }
    case "absent_over_time": {
      const input = ctx.rangeArg(0);
      if (input.series.some((s) => s.hi > s.lo)) return vec([]);
      return vec([{ labels: absentLabels(ctx.expr.args[0]), value: 1, ts: t }]);
    }
    case "clamp": {
      const min = scalarArg(ctx, 1);
      const max = scalarArg(ctx, 2);
      if (max < min) return vec([]);
      return mapVector(ctx, (v) => Math.max(min, Math.min(max, v)));
    }
    case "clamp_min": {
      const min = scalarArg(ctx, 1);
      return mapVector(ctx, (v) => Math.max(min, v));
    }
    case "clamp_max": {
      const max = scalarArg(ctx, 1);
      return mapVector(ctx, (v) => Math.min(max, v));
    }
    case "round": {
      const toNearest = ctx.expr.args.length > 1 ? scalarArg(ctx, 1) : 1;
      const inverse = 1 / toNearest;
      return mapVector(ctx, (v) => Math.floor(v * inverse + 0.5) / inverse);
    }
    case "histogram_quantile":
      return histogramQuantile(ctx);
    case "histogram_count":
    case "histogram_sum":
    case "histogram_avg":
    case "histogram_stddev":
    case "histogram_stdvar":
    case "histogram_fraction":
      // Only native histograms carry these; float samples produce nothing.
      for (let i = 0; i < ctx.expr.args.length; i++) ctx.evalArg(i);
      return vec([]);
    case "label_replace":
      return labelReplace(ctx);
    case "label_join":
      return labelJoin(ctx);
    case "sort":
    case "sort_desc":
      if (ctx.isRangeQuery) {
        ctx.annotate("warning", "sort is ineffective for range queries since results are always ordered by labels", ctx.expr.pos);
      }
      return sortVector(ctx, name === "sort_desc");
    case "sort_by_label":
      return sortByLabel(ctx, false);
    case "sort_by_label_desc":
      return sortByLabel(ctx, true);
    default:
      throw new PromQLError("execution", `function "${name}" is not supported`);
  }
}
