import type { ValueType } from "#server/modules/query/promql/ast.ts";

export interface FunctionSignature {
  readonly args: readonly ValueType[];
  /** 0: exact; -1: the last argument is optional and repeats; n > 0: the last argument is optional (Prometheus's Variadic). */
  readonly variadic: number;
  readonly returns: ValueType;
  /** Experimental in Prometheus 3.x (behind --enable-feature=promql-experimental-functions). */
  readonly experimental?: boolean;
}

const v = "vector" as const;
const m = "matrix" as const;
const s = "scalar" as const;
const str = "string" as const;

const simple = (args: readonly ValueType[], returns: ValueType, variadic = 0, experimental = false): FunctionSignature =>
  experimental ? { args, returns, variadic, experimental } : { args, returns, variadic };

const mathFns = [
  "abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "deg", "rad",
  "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh",
  "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar",
];
const overTime = [
  "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "last_over_time",
  "present_over_time", "stddev_over_time", "stdvar_over_time", "absent_over_time", "changes", "resets",
  "rate", "irate", "increase", "delta", "idelta", "deriv",
];
const experimentalOverTime = [
  "mad_over_time", "first_over_time", "ts_of_min_over_time", "ts_of_max_over_time", "ts_of_last_over_time",
  "ts_of_first_over_time",
];
const dateFns = ["minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year"];

/** Every function the engine knows, with its argument and return types. */
export const FUNCTIONS: ReadonlyMap<string, FunctionSignature> = new Map<string, FunctionSignature>([
  ...mathFns.map((name) => [name, simple([v], v)] as const),
  ...overTime.map((name) => [name, simple([m], v)] as const),
  ...experimentalOverTime.map((name) => [name, simple([m], v, 0, true)] as const),
  ...dateFns.map((name) => [name, simple([v], v, 1)] as const),
  ["absent", simple([v], v)],
  ["clamp", simple([v, s, s], v)],
  ["clamp_max", simple([v, s], v)],
  ["clamp_min", simple([v, s], v)],
  ["histogram_quantile", simple([s, v], v)],
  ["histogram_fraction", simple([s, s, v], v)],
  ["label_join", simple([v, str, str, str], v, -1)],
  ["label_replace", simple([v, str, str, str, str], v)],
  ["pi", simple([], s)],
  ["predict_linear", simple([m, s], v)],
  ["quantile_over_time", simple([s, m], v)],
  ["round", simple([v, s], v, 1)],
  ["scalar", simple([v], s)],
  ["sort", simple([v], v)],
  ["sort_desc", simple([v], v)],
  ["sort_by_label", simple([v, str], v, -1, true)],
  ["sort_by_label_desc", simple([v, str], v, -1, true)],
  ["time", simple([], s)],
  ["timestamp", simple([v], v)],
  ["vector", simple([s], v)],
  ["double_exponential_smoothing", simple([m, s, s], v, 0, true)],
]);
