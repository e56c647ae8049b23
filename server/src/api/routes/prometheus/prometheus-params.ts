import { MAX_TIME_MS, MIN_TIME_MS, PromQLError, parsePromQLDuration } from "#server/modules/query/index.ts";

/*
 * Parameter parsing as Prometheus's HTTP API does it: times are Unix seconds (fractions
 * allowed) or RFC 3339; durations are seconds or PromQL durations; errors are bad_data with
 * Prometheus's wording, so clients that match on messages keep working.
 */

const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

// What Prometheus's clients send for "no bound" (Go's min and max time formatted as RFC 3339).
const MIN_TIME_TEXT = "-292273086-05-16T16:47:06Z";
const MAX_TIME_TEXT = "292277025-08-18T07:12:54.999999999Z";

export type Params = Record<string, string | string[] | undefined>;

export function badData(message: string): PromQLError {
  return new PromQLError("bad_data", message);
}

/** The first value of a parameter (Prometheus reads form values with FormValue). */
export function single(params: Params, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

export function many(params: Params, name: string): string[] {
  const value = params[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function required(params: Params, name: string): string {
  const value = single(params, name);
  if (value === undefined || value === "") throw badData(`invalid parameter "${name}": cannot be empty`);
  return value;
}

/** A timestamp parameter in milliseconds. */
export function parseTime(text: string, name: string): number {
  if (FLOAT.test(text)) {
    const seconds = Number(text);
    if (Number.isFinite(seconds)) return Math.round(seconds * 1000);
  }
  if (text === MIN_TIME_TEXT) return MIN_TIME_MS;
  if (text === MAX_TIME_TEXT) return MAX_TIME_MS;
  if (RFC3339.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  throw badData(`invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
}

export function optionalTime(params: Params, name: string, fallback: number): number {
  const text = single(params, name);
  return text === undefined || text === "" ? fallback : parseTime(text, name);
}

/** A duration parameter in milliseconds: "15", "0.5", "1m30s". */
export function parseDurationParam(text: string, name: string): number {
  if (FLOAT.test(text)) {
    const seconds = Number(text);
    if (Number.isFinite(seconds) && seconds <= 9_223_372_036) return Math.round(seconds * 1000);
  } else {
    const ms = parsePromQLDuration(text);
    if (ms !== undefined) return ms;
  }
  throw badData(`invalid parameter "${name}": cannot parse "${text}" to a valid duration`);
}

export function optionalLimit(params: Params): number | undefined {
  const text = single(params, "limit");
  if (text === undefined || text === "") return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 0) throw badData(`invalid parameter "limit": cannot parse "${text}" to a valid limit`);
  return limit === 0 ? undefined : limit;
}
