/** Values, series and the storage port of the PromQL engine. */
import type { Matcher } from "#server/modules/query/promql/ast.ts";

/** A label set including `__name__`; plain readonly record. */
export type Labels = Readonly<Record<string, string>>;

/**
 * One series as returned by a `SeriesSource`: times in ms, sorted ascending, same length as values.
 * Use a Float64Array for values: plain arrays canonicalise NaN payloads and lose staleness markers.
 */
export interface SourceSeries {
  readonly labels: Labels;
  readonly timestamps: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  /** True promises no NaN among the values, so range windows need not look for staleness markers (absent: unknown). */
  readonly withoutNaN?: boolean;
}

/**
 * Where the engine reads samples from. `select` returns every series matching all matchers, with
 * at least the samples in [mint, maxt] (ms, inclusive); extra samples outside are ignored.
 */
export interface SeriesSource {
  select(matchers: readonly Matcher[], mint: number, maxt: number): ReadonlyArray<SourceSeries>;
}

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
  /** Sample timestamp in ms (the evaluation time for computed samples). */
  readonly ts: number;
}

export interface Point {
  readonly t: number;
  readonly v: number;
}

export interface Series {
  readonly labels: Labels;
  readonly points: readonly Point[];
}

export type ScalarValue = { readonly type: "scalar"; readonly value: number };
export type StringValue = { readonly type: "string"; readonly value: string };
export type VectorValue = { readonly type: "vector"; readonly samples: readonly Sample[] };
export type MatrixValue = { readonly type: "matrix"; readonly series: readonly Series[] };

/** A query result: scalar, string, vector (labels + value at the time) or matrix. */
export type Value = ScalarValue | StringValue | VectorValue | MatrixValue;

/** The staleness marker, recognised also after an engine has quieted its signalling NaN. */
export { STALE_NAN, isStaleNaN } from "#server/platform/staleness.ts";
