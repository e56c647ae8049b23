/** Aggregation operators (sum, avg, …, topk, quantile, count_values) with by/without grouping. */
import type { AggregateExpr } from "#server/modules/query/promql/ast.ts";
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { labelsKey, METRIC_NAME } from "#server/modules/query/promql/labels.ts";
import { formatFloat, formatGo, kahanSum, mean, quantile, variance } from "#server/modules/query/promql/math.rules.ts";
import type { Labels, Sample, Value, VectorValue } from "#server/modules/query/promql/types.ts";

export function groupLabels(labels: Labels, grouping: readonly string[], without: boolean): Labels {
  const out: Record<string, string> = {};
  if (without) {
    for (const [k, v] of Object.entries(labels)) if (k !== METRIC_NAME && !grouping.includes(k)) out[k] = v;
  } else {
    for (const k of grouping) {
      const v = labels[k];
      if (v !== undefined && v !== "") out[k] = v;
    }
  }
  return out;
}

interface Group {
  readonly labels: Labels;
  readonly samples: Sample[];
}

/**
 * The group key straight from the sample's labels (names sorted, as labelsKey orders them), so
 * no label object is built per sample and step; a group's labels are built once, on first use.
 */
export function groupKey(labels: Labels, sortedGrouping: readonly string[], without: boolean): string {
  let out = "";
  if (without) {
    for (const k of Object.keys(labels).sort()) {
      if (k === METRIC_NAME || sortedGrouping.includes(k)) continue;
      out += k + "\xff" + (labels[k] ?? "") + "\xfe";
    }
  } else {
    for (const k of sortedGrouping) {
      const v = labels[k];
      if (v !== undefined && v !== "") out += k + "\xff" + v + "\xfe";
    }
  }
  return out;
}

/*
 * Group keys per input label set, per grouping (the AST's array, the same object at every step):
 * a range query regroups the same series at each step, so each key is built once.
 */
const groupKeyCache = new WeakMap<readonly string[], { sorted: readonly string[]; without: WeakMap<Labels, string>; by: WeakMap<Labels, string> }>();

function groupSamples(samples: readonly Sample[], grouping: readonly string[], without: boolean): Group[] {
  let cache = groupKeyCache.get(grouping);
  if (cache === undefined) {
    cache = { sorted: [...new Set(grouping)].sort(), without: new WeakMap(), by: new WeakMap() };
    groupKeyCache.set(grouping, cache);
  }
  const keys = without ? cache.without : cache.by;
  const groups = new Map<string, Group>();
  for (const s of samples) {
    let key = keys.get(s.labels);
    if (key === undefined) {
      key = groupKey(s.labels, cache.sorted, without);
      keys.set(s.labels, key);
    }
    let g = groups.get(key);
    if (!g) {
      g = { labels: groupLabels(s.labels, grouping, without), samples: [] };
      groups.set(key, g);
    }
    g.samples.push(s);
  }
  return [...groups.values()];
}

function scalarParam(param: Value | undefined): number {
  if (param?.type !== "scalar") throw new PromQLError("execution", "aggregation parameter must be a scalar");
  return param.value;
}

/** Accepts any non-empty valid UTF-8 label name (Prometheus 3.x). */
export function isValidLabelName(name: string): boolean {
  return name !== "" && !name.includes("\uFFFD") && name.isWellFormed();
}

export function aggregate(
  expr: AggregateExpr,
  input: readonly Sample[],
  param: Value | undefined,
  t: number,
  annotate?: (kind: "warning" | "info", message: string, pos: number) => void,
): VectorValue {
  const { op, grouping, without } = expr;
  switch (op) {
    case "topk":
    case "bottomk":
    case "limitk": {
      const f = scalarParam(param);
      if (Number.isNaN(f)) throw new PromQLError("execution", "Parameter value is NaN");
      const k = Math.trunc(Math.min(f, Number.MAX_SAFE_INTEGER));
      if (k < 1) return { type: "vector", samples: [] };
      const out: Sample[] = [];
      for (const g of groupSamples(input, grouping, without)) {
        let chosen: Sample[];
        if (op === "limitk") chosen = g.samples.slice(0, k);
        else {
          const sign = op === "topk" ? -1 : 1;
          chosen = [...g.samples]
            .sort((a, b) => {
              if (Number.isNaN(a.value)) return Number.isNaN(b.value) ? 0 : 1;
              if (Number.isNaN(b.value)) return -1;
              return sign * (a.value - b.value);
            })
            .slice(0, k);
        }
        for (const s of chosen) out.push({ labels: s.labels, value: s.value, ts: t });
      }
      return { type: "vector", samples: out };
    }
    case "limit_ratio": {
      const r = scalarParam(param);
      if (Number.isNaN(r)) throw new PromQLError("execution", "Ratio value is NaN");
      throw new PromQLError("execution", "limit_ratio is not supported");
    }
    case "count_values": {
      if (param?.type !== "string") throw new PromQLError("execution", "count_values parameter must be a string");
      const name = param.value;
      if (!isValidLabelName(name)) throw new PromQLError("execution", `invalid label name ${JSON.stringify(name)}`);
      const counts = new Map<string, { labels: Labels; count: number }>();
      for (const s of input) {
        const labels = { ...groupLabels(s.labels, grouping, without), [name]: formatFloat(s.value) };
        const key = labelsKey(labels);
        const entry = counts.get(key);
        if (entry) entry.count++;
        else counts.set(key, { labels, count: 1 });
      }
      return { type: "vector", samples: [...counts.values()].map((e) => ({ labels: e.labels, value: e.count, ts: t })) };
    }
    default:
      break;
  }
  const q = op === "quantile" ? scalarParam(param) : 0;
  if (op === "quantile" && !(q >= 0 && q <= 1)) {
    annotate?.("warning", `quantile value should be between 0 and 1, got ${formatGo(q)}`, expr.param?.pos ?? expr.pos);
  }
  const out: Sample[] = [];
  for (const g of groupSamples(input, grouping, without)) {
    out.push({ labels: g.labels, value: reduceGroup(op, g.samples.map((s) => s.value), q), ts: t });
  }
  return { type: "vector", samples: out };
}

/** Aggregations that fold a group's values into one number (all but topk, bottomk, limitk, limit_ratio and count_values). */
export type ReducingOp = "sum" | "avg" | "count" | "group" | "min" | "max" | "stddev" | "stdvar" | "quantile";

export function isReducingOp(op: string): op is ReducingOp {
  return REDUCING_OPS.has(op);
}

const REDUCING_OPS: ReadonlySet<string> = new Set(["sum", "avg", "count", "group", "min", "max", "stddev", "stdvar", "quantile"]);

/** One group's value; `values` is in input order (it decides Kahan summation's rounding). */
export function reduceGroup(op: ReducingOp, values: readonly number[], q: number): number {
  switch (op) {
    case "sum":
      return kahanSum(values);
    case "avg":
      return mean(values);
    case "count":
      return values.length;
    case "group":
      return 1;
    case "min":
      return values.reduce((acc, v) => (acc > v || Number.isNaN(acc) ? v : acc));
    case "max":
      return values.reduce((acc, v) => (acc < v || Number.isNaN(acc) ? v : acc));
    case "stdvar":
      return variance(values);
    case "stddev":
      return Math.sqrt(variance(values));
    case "quantile":
      return quantile(q, values);
  }
}
