/** Errors raised by the PromQL engine; `kind` maps to Prometheus's API error types. */
export type PromQLErrorKind = "bad_data" | "execution" | "timeout" | "too_many_samples" | "canceled";

export class PromQLError extends Error {
  readonly kind: PromQLErrorKind;
  /** Character offset (0-based) in the query, for parse and type errors. */
  readonly position: number | undefined;
  /** 1-based line and column of `position` (Prometheus 3.x prints "line:col: parse error: …"). */
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(kind: PromQLErrorKind, message: string, where?: { position: number; line: number; column: number }) {
    super(message);
    this.name = "PromQLError";
    this.kind = kind;
    this.position = where?.position;
    this.line = where?.line;
    this.column = where?.column;
  }
}

/** A parse or type error: "parse error at char N: msg" (Prometheus counts chars from 1). */
export function parseError(query: string, position: number, message: string): PromQLError {
  const before = query.slice(0, position);
  const line = before.split("\n").length;
  const col = position - before.lastIndexOf("\n");
  const where = line > 1 ? `line ${line}, char ${col}` : `char ${position + 1}`;
  return new PromQLError("bad_data", `parse error at ${where}: ${message}`, { position, line, column: col });
}

export const TOO_MANY_SAMPLES = "query processing would load too many samples into memory in query execution";
export const TOO_MANY_POINTS = "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)";
