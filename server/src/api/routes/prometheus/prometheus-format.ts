import type { MatrixValue, Value } from "#server/modules/query/index.ts";

/**
 * A sample value as Prometheus writes it (Go's strconv.FormatFloat(v, 'f', -1, 64)): the
 * shortest digits that round-trip, never an exponent; NaN, +Inf and -Inf spelled out.
 */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  const text = String(value);
  const exponentAt = text.indexOf("e");
  if (exponentAt < 0) return text;
  const negative = text.startsWith("-");
  const mantissa = text.slice(negative ? 1 : 0, exponentAt);
  const exponent = Number(text.slice(exponentAt + 1));
  const [whole = "", fraction = ""] = mantissa.split(".");
  const digits = whole + fraction;
  const point = whole.length + exponent;
  let plain: string;
  if (point <= 0) plain = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) plain = digits + "0".repeat(point - digits.length);
  else plain = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? "-" : "") + plain;
}

/** Unix seconds as a JSON number, as Prometheus encodes sample timestamps. */
export function formatTimestamp(ms: number): number {
  return ms / 1000;
}

type FormattedPoint = [number, string];

export type QueryData =
  | { resultType: "scalar" | "string"; result: FormattedPoint }
  | { resultType: "vector"; result: Array<{ metric: Record<string, string>; value: FormattedPoint }> }
  | { resultType: "matrix"; result: Array<{ metric: Record<string, string>; values: FormattedPoint[] }> };

/** The `data` of a query or query_range response. */
export function formatQueryData(value: Value, evaluationTimeMs: number): QueryData {
  switch (value.type) {
    case "scalar":
      return { resultType: "scalar", result: [formatTimestamp(evaluationTimeMs), formatSampleValue(value.value)] };
    case "string":
      return { resultType: "string", result: [formatTimestamp(evaluationTimeMs), value.value] };
    case "vector":
      return {
        resultType: "vector",
        result: value.samples.map((s) => ({ metric: { ...s.labels }, value: [formatTimestamp(s.ts), formatSampleValue(s.value)] })),
      };
    case "matrix":
      return formatMatrix(value);
  }
}

export function formatMatrix(value: MatrixValue): QueryData {
  return {
    resultType: "matrix",
    result: value.series.map((s) => ({ metric: { ...s.labels }, values: s.points.map((p): FormattedPoint => [formatTimestamp(p.t), formatSampleValue(p.v)]) })),
  };
}
