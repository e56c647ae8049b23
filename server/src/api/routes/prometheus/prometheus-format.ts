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

/**
 * `JSON.stringify({ status: "success", data: formatMatrix(value) })`, written directly: a range
 * query answer has a point per series and step (tens of thousands), and building a two-element
 * array per point only to serialise it cost more than the evaluation of simple queries. The
 * output is the same text (a test compares them).
 */
export function matrixSuccessJson(value: MatrixValue): string {
  // One string per series, joined once: appending every point to one string built a rope of
  // tens of thousands of pieces.
  const parts: string[] = [];
  for (const s of value.series) {
    const { points } = s;
    let values = "";
    for (let j = 0; j < points.length; j++) {
      const p = points[j]!;
      // A finite number prints the same through String() as through JSON.stringify; the
      // formatted values are digits, '.', '-', "NaN" and "±Inf", which need no escaping.
      values += (j === 0 ? "[" : ",[") + String(formatTimestamp(p.t)) + ',"' + formatSampleValue(p.v) + '"]';
    }
    parts.push('{"metric":' + JSON.stringify({ ...s.labels }) + ',"values":[' + values + "]}");
  }
  return '{"status":"success","data":{"resultType":"matrix","result":[' + parts.join(",") + "]}}";
}
