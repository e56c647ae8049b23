/**
 * A runner for Prometheus's promqltest `.test` scripts (load / clear / eval …) against Auspex's
 * PromQL engine and an in-memory series source. Own implementation of the documented format.
 */
import {
  createMemorySource,
  evaluateInstant,
  evaluateRange,
  isStaleNaN,
  parseDuration,
  STALE_NAN,
  type EngineOptions,
  type Labels,
  type MatrixValue,
  type Value,
} from "#server/modules/query/promql/index.ts";
import { compileRegex, parsePromQL, unquoteString } from "#server/modules/query/promql/parser.ts";
import { matches } from "#server/modules/query/promql/labels.ts";
import type { Expr, Matcher } from "#server/modules/query/promql/ast.ts";

export interface EvalOutcome {
  readonly line: number;
  readonly command: string;
  readonly passed: boolean;
  /** Excluded from the target set (native histograms or experimental features), with the reason. */
  readonly excluded: string | undefined;
  readonly message: string | undefined;
  /** Whether warn/info expectations held (undefined when the eval has none); reported separately. */
  readonly annotationsOk: boolean | undefined;
  readonly annotationMessage: string | undefined;
}

interface AnnotationExpectation {
  readonly kind: "warn" | "info" | "no_warn" | "no_info";
  readonly exact?: string;
  readonly regex?: RegExp;
}

export interface FileOutcome {
  readonly file: string;
  readonly evals: readonly EvalOutcome[];
}

interface ExpectedSeries {
  readonly labels: Labels;
  /** One entry per step (or a single value for instant); undefined = no point. */
  readonly values: readonly (number | undefined)[];
}

interface EvalCommand {
  readonly line: number;
  readonly text: string;
  readonly kind: "instant" | "range";
  readonly query: string;
  readonly at: number;
  readonly start: number;
  readonly end: number;
  readonly step: number;
  expectFail: boolean;
  failMessage: { exact?: string; regex?: RegExp } | undefined;
  ordered: boolean;
  expectString: string | undefined;
  rangeVector: { start: number; end: number; step: number } | undefined;
  scalar: number | undefined;
  readonly series: ExpectedSeries[];
  usesNative: boolean;
  rawLines: string[];
  annotations: AnnotationExpectation[];
}

const EXPERIMENTAL_FUNCTIONS = [
  "mad_over_time", "first_over_time", "ts_of_min_over_time", "ts_of_max_over_time", "ts_of_last_over_time",
  "ts_of_first_over_time", "sort_by_label", "sort_by_label_desc", "double_exponential_smoothing", "limitk",
  "limit_ratio", "info", "histogram_quantiles",
];

const NATIVE_ONLY_FUNCTIONS = [
  "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar", "histogram_fraction",
];

/** Files of main that need native histograms or experimental/optional features. */
export const EXCLUDED_FILES: ReadonlySet<string> = new Set([
  "duration_expression.test",
  "extended_vectors.test",
  "fill-modifier.test",
  "info.test",
  "limit.test",
  "type_and_unit.test",
  "start_timestamps.test",
  "native_histograms.test",
  "name_label_dropping.test",
]);

/** Parses a test time ("50m", "0", "1h30m", "-5m", "100" seconds) into ms. */
export function parseTestTime(text: string): number {
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  let ms = parseDuration(body);
  if (ms === undefined) {
    const n = Number(body);
    if (!Number.isFinite(n)) throw new Error(`bad time ${JSON.stringify(text)}`);
    ms = Math.round(n * 1000);
  }
  return negative ? -ms : ms;
}

function parseFloatGo(text: string): number {
  const t = text.toLowerCase();
  if (t === "inf" || t === "+inf") return Infinity;
  if (t === "-inf") return -Infinity;
  if (t === "nan") return NaN;
  if (t === "stale") return STALE_NAN;
  if (/^[+-]?0x[0-9a-f]+$/.test(t)) return (t.startsWith("-") ? -1 : 1) * parseInt(t.replace(/^[+-]?0x/, ""), 16);
  const n = Number(text);
  if (text.trim() === "" || Number.isNaN(n)) throw new Error(`bad number ${JSON.stringify(text)}`);
  return n;
}

/** Expands one value token of the series notation into values (undefined = no sample). */
export function expandValues(token: string): (number | undefined)[] {
  if (token === "_") return [undefined];
  // Kept as a marker: arrays of numbers canonicalise NaN payloads, which would lose the staleness bits.
  if (token.toLowerCase() === "stale") return [STALE_MARKER];
  const xm = /^(.*)x(\d+)$/.exec(token);
  if (!xm) return [parseFloatGo(token)];
  const base = xm[1] ?? "";
  const times = Number(xm[2]);
  if (base === "_") return new Array<undefined>(times).fill(undefined);
  // Split "a+b" / "a-b" at a sign that is not the first char and not an exponent sign.
  let split = -1;
  for (let i = 1; i < base.length; i++) {
    const ch = base[i];
    const prev = base[i - 1] ?? "";
    if ((ch === "+" || ch === "-") && prev !== "e" && prev !== "E") {
      split = i;
      break;
    }
  }
  if (split < 0) {
    const v = parseFloatGo(base);
    return new Array<number>(times + 1).fill(v);
  }
  const start = parseFloatGo(base.slice(0, split));
  const delta = parseFloatGo(base.slice(split));
  const out: number[] = [];
  let cur = start;
  for (let i = 0; i <= times; i++) {
    out.push(cur);
    cur += delta;
  }
  return out;
}

/** Splits "<labels> <values…>" into a label set and the rest of the line. */
export function parseSeriesLine(line: string): { labels: Labels; rest: string } {
  let i = 0;
  const labels: Record<string, string> = {};
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:.]*/.exec(line);
  if (nameMatch) {
    labels.__name__ = nameMatch[0];
    i = nameMatch[0].length;
  }
  const readQuoted = (): string => {
    const quote = line[i];
    let j = i + 1;
    while (j < line.length && line[j] !== quote) j += line[j] === "\\" ? 2 : 1;
    const raw = line.slice(i, j + 1);
    i = j + 1;
    const value = unquoteString(raw);
    if (value === undefined) throw new Error(`bad string ${raw}`);
    return value;
  };
  const skipSpace = (): void => {
    while (i < line.length && /\s/.test(line[i] ?? "")) i++;
  };
  if (line[i] === "{") {
    i++;
    for (;;) {
      skipSpace();
      if (line[i] === "}") {
        i++;
        break;
      }
      let name: string;
      if (line[i] === '"' || line[i] === "'" || line[i] === "`") name = readQuoted();
      else {
        const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
        if (!m) throw new Error(`bad label name at ${line.slice(i)}`);
        name = m[0];
        i += name.length;
      }
      skipSpace();
      if (line[i] === "," || line[i] === "}") {
        // A bare quoted string is the metric name.
        labels.__name__ = name;
      } else {
        if (line[i] !== "=") throw new Error(`expected = in ${line}`);
        i++;
        skipSpace();
        labels[name] = readQuoted();
      }
      skipSpace();
      if (line[i] === ",") i++;
    }
  }
  for (const k of Object.keys(labels)) if (labels[k] === "") delete labels[k];
  return { labels, rest: line.slice(i).trim() };
}

function parseValues(rest: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const token of rest.split(/\s+/).filter((x) => x !== "")) out.push(...expandValues(token));
  return out;
}

/** Stands for the staleness NaN inside plain arrays (which canonicalise NaN payloads). */
const STALE_MARKER = -0.0000123456789e-300;

const MIN_NORMAL = 2.2250738585072014e-308;

/** Prometheus's float comparison for tests: relative 1e-6, NaN equals NaN, StaleNaN only StaleNaN. */
export function almostEqual(a: number, b: number): boolean {
  if (isStaleNaN(a) || isStaleNaN(b)) return isStaleNaN(a) && isStaleNaN(b);
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < 1e-6 * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < 1e-6;
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function show(labels: Labels): string {
  return `{${Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ")}}`;
}

function compare(cmd: EvalCommand, result: Value): string | undefined {
  if (cmd.expectString !== undefined) {
    if (result.type !== "string") return `expected string, got ${result.type}`;
    return result.value === cmd.expectString ? undefined : `expected string ${JSON.stringify(cmd.expectString)}, got ${JSON.stringify(result.value)}`;
  }
  if (cmd.scalar !== undefined) {
    if (result.type !== "scalar") return `expected scalar, got ${result.type}`;
    return almostEqual(result.value, cmd.scalar) ? undefined : `expected scalar ${cmd.scalar}, got ${result.value}`;
  }
  if (result.type === "scalar") {
    if (cmd.kind === "range" && cmd.series.length === 1 && Object.keys(cmd.series[0]?.labels ?? {}).length === 0) {
      // handled below as a one-series matrix
    } else if (cmd.series.length > 0 || cmd.kind === "instant") {
      return `unexpected scalar result ${result.value}`;
    }
  }
  if (cmd.kind === "instant" && !cmd.rangeVector) {
    if (result.type !== "vector") return `expected vector, got ${result.type}`;
    if (result.samples.length !== cmd.series.length) {
      return `expected ${cmd.series.length} samples, got ${result.samples.length}: ${result.samples
        .slice(0, 5)
        .map((s) => `${show(s.labels)} ${s.value}`)
        .join("; ")}`;
    }
    const byKey = new Map(result.samples.map((s, i) => [key(s.labels), { s, i }]));
    for (let i = 0; i < cmd.series.length; i++) {
      const exp = cmd.series[i];
      if (!exp) continue;
      const got = byKey.get(key(exp.labels));
      if (!got) return `missing series ${show(exp.labels)}`;
      const want = exp.values[0];
      if (want === undefined || !almostEqual(got.s.value, want)) return `${show(exp.labels)}: expected ${want}, got ${got.s.value}`;
      if (cmd.ordered && got.i !== i) return `${show(exp.labels)}: expected at position ${i}, got ${got.i}`;
    }
    return undefined;
  }
  // Range query, or instant query returning a range vector.
  const steps: number[] = [];
  const r = cmd.rangeVector ?? { start: cmd.start, end: cmd.end, step: cmd.step };
  for (let t = r.start; t <= r.end; t += r.step) steps.push(t);
  const gotSeries =
    result.type === "matrix"
      ? result.series
      : result.type === "scalar"
        ? [{ labels: {}, points: [{ t: cmd.start, v: result.value }] }]
        : undefined;
  if (!gotSeries) return `expected matrix, got ${result.type}`;
  const nonEmptyExpected = cmd.series.filter((s) => s.values.some((v) => v !== undefined));
  const got = gotSeries.filter((s) => s.points.length > 0);
  if (got.length !== nonEmptyExpected.length) {
    return `expected ${nonEmptyExpected.length} series, got ${got.length}: ${got
      .slice(0, 5)
      .map((s) => show(s.labels))
      .join("; ")}`;
  }
  const byKey = new Map(got.map((s) => [key(s.labels), s]));
  for (const exp of nonEmptyExpected) {
    const g = byKey.get(key(exp.labels));
    if (!g) return `missing series ${show(exp.labels)}`;
    const pts = new Map(g.points.map((p) => [p.t, p.v]));
    if (exp.values.length > steps.length) {
      return `${show(exp.labels)}: test expects ${exp.values.length} values for ${steps.length} steps`;
    }
    for (let i = 0; i < steps.length; i++) {
      const t = steps[i] ?? 0;
      const want = exp.values[i];
      const have = pts.get(t);
      if (want === undefined) {
        if (have !== undefined) return `${show(exp.labels)} @${t / 1000}s: expected no value, got ${have}`;
      } else if (have === undefined || !almostEqual(have, want)) {
        return `${show(exp.labels)} @${t / 1000}s: expected ${want}, got ${have}`;
      }
    }
    if (pts.size !== exp.values.filter((v) => v !== undefined).length) return `${show(exp.labels)}: extra points`;
  }
  return undefined;
}

/** True when a selector of the query would select one of the native-histogram series. */
function selectsNative(query: string, native: readonly Labels[]): boolean {
  if (native.length === 0) return false;
  let expr: Expr;
  try {
    expr = parsePromQL(query, { experimental: true });
  } catch {
    return false;
  }
  const selectors: Matcher[][] = [];
  const walk = (e: Expr): void => {
    switch (e.type) {
      case "vectorSelector":
        selectors.push([...e.matchers]);
        return;
      case "matrixSelector":
        selectors.push([...e.selector.matchers]);
        return;
      case "subquery":
      case "paren":
      case "unary":
        walk(e.expr);
        return;
      case "binary":
        walk(e.lhs);
        walk(e.rhs);
        return;
      case "aggregate":
        walk(e.expr);
        if (e.param) walk(e.param);
        return;
      case "call":
        e.args.forEach(walk);
        return;
      case "number":
      case "string":
        return;
    }
  };
  walk(expr);
  return selectors.some((ms) =>
    native.some((labels) => ms.every((m) => matches(m, labels[m.name] ?? "", m.type === "=~" || m.type === "!~" ? compileRegex(m.value) : undefined))),
  );
}

function exclusionReason(cmd: EvalCommand, nativeNames: ReadonlySet<string>, native: readonly Labels[]): string | undefined {
  if (cmd.usesNative || cmd.rawLines.some((l) => l.includes("{{"))) return "native histogram values";
  const identifiers = new Set(cmd.query.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []);
  for (const f of EXPERIMENTAL_FUNCTIONS) if (identifiers.has(f)) return `experimental function ${f}`;
  for (const f of NATIVE_ONLY_FUNCTIONS) if (identifiers.has(f)) return `native-histogram function ${f}`;
  for (const n of identifiers) if (nativeNames.has(n)) return `queries native histogram series ${n}`;
  if (selectsNative(cmd.query, native)) return "selects native histogram series";
  if (/(?<!@\s*)\b(start|end)\(\)|\b(min_of|max_of)\(/.test(cmd.query)) return "experimental function (duration expressions)";
  if (/\banchored\b|\bsmoothed\b|\bfill(_left|_right)?\s*\(|@st\b|\bstep\(\)|\brange\(\)/.test(cmd.query)) return "experimental syntax";
  return undefined;
}

/** Runs one test script; returns the outcome of every eval command. */
export function runTestScript(text: string, options: EngineOptions = {}): EvalOutcome[] {
  const source = createMemorySource();
  const nativeNames = new Set<string>();
  const native: Labels[] = [];
  const outcomes: EvalOutcome[] = [];
  const lines = text.split("\n");
  const engine: EngineOptions = { maxSamples: 10_000, experimental: true, ...options };
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i] ?? "";
    const line = raw.trim();
    i++;
    if (line === "" || line.startsWith("#")) continue;
    const lower = line.toLowerCase();
    if (lower === "clear") {
      source.clear();
      nativeNames.clear();
      native.length = 0;
      continue;
    }
    if (lower.startsWith("load")) {
      const [cmd = "", stepText = "0"] = line.split(/\s+/);
      const step = parseTestTime(stepText);
      const nhcb = cmd === "load_with_nhcb";
      while (i < lines.length && (lines[i] ?? "").trim() !== "") {
        const l = (lines[i] ?? "").trim();
        i++;
        if (l.startsWith("#")) continue;
        let parsed: { labels: Labels; rest: string };
        try {
          parsed = parseSeriesLine(l);
          parseValues(parsed.rest.includes("{{") ? "" : parsed.rest);
        } catch {
          continue; // Unsupported load syntax (e.g. @st start timestamps).
        }
        const { labels, rest } = parsed;
        const name = labels.__name__ ?? "";
        if (rest.includes("{{")) {
          native.push(labels);
          continue;
        }
        if (nhcb && name.endsWith("_bucket")) nativeNames.add(name.slice(0, -"_bucket".length));
        const values = parseValues(rest);
        values.forEach((v, idx) => {
          if (v !== undefined) source.add(labels, idx * step, v === STALE_MARKER ? STALE_NAN : v);
        });
      }
      continue;
    }
    if (lower.startsWith("eval")) {
      const cmd = parseEval(line, i);
      while (i < lines.length) {
        const l = (lines[i] ?? "").trim();
        if (l === "" || /^(eval|load|clear)\b/i.test(l)) break;
        i++;
        if (l.startsWith("#")) continue;
        cmd.rawLines.push(l);
        try {
          addExpectation(cmd, l);
        } catch {
          cmd.usesNative = true; // Unparseable expectation (native-histogram or experimental syntax).
        }
      }
      outcomes.push(runEval(cmd, source, engine, exclusionReason(cmd, nativeNames, native)));
      continue;
    }
    throw new Error(`line ${i}: unknown command ${line}`);
  }
  return outcomes;
}

function parseEval(line: string, lineNo: number): EvalCommand {
  const base = {
    line: lineNo,
    text: line,
    expectFail: false,
    failMessage: undefined,
    ordered: false,
    expectString: undefined,
    rangeVector: undefined,
    scalar: undefined,
    series: [],
    usesNative: false,
    rawLines: [],
    annotations: [],
  };
  const inst = /^(eval(?:_fail|_ordered|_warn|_info)?)\s+instant\s+at\s+(\S+)\s+(.*)$/i.exec(line);
  if (inst) {
    const at = parseTestTime(inst[2] ?? "0");
    const kind = (inst[1] ?? "").toLowerCase();
    return {
      ...base,
      kind: "instant",
      query: inst[3] ?? "",
      at,
      start: at,
      end: at,
      step: 0,
      expectFail: kind === "eval_fail",
      ordered: kind === "eval_ordered",
    };
  }
  const range = /^(eval(?:_fail|_warn|_info)?)\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.*)$/i.exec(line);
  if (range) {
    return {
      ...base,
      kind: "range",
      query: range[5] ?? "",
      at: 0,
      start: parseTestTime(range[2] ?? "0"),
      end: parseTestTime(range[3] ?? "0"),
      step: parseTestTime(range[4] ?? "1"),
      expectFail: (range[1] ?? "").toLowerCase() === "eval_fail",
    };
  }
  throw new Error(`line ${lineNo}: bad eval command ${line}`);
}

function addExpectation(cmd: EvalCommand, l: string): void {
  const expect = /^expect\s+(\S+)(.*)$/i.exec(l);
  if (expect) {
    const what = (expect[1] ?? "").toLowerCase();
    const rest = (expect[2] ?? "").trim();
    if (what === "fail") {
      cmd.expectFail = true;
      const msg = /^msg\s*:\s?(.*)$/.exec(rest);
      const re = /^regex\s*:\s?(.*)$/.exec(rest);
      if (msg) cmd.failMessage = { exact: (msg[1] ?? "").trim().replace(/^"(.*)"$/, "$1") };
      else if (re) cmd.failMessage = { regex: new RegExp((re[1] ?? "").trim()) };
    } else if (what === "ordered") cmd.ordered = true;
    else if (what === "string") {
      cmd.expectString = unquoteString(rest) ?? rest;
    } else if (what === "range") {
      const m = /^vector\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)$/.exec(rest);
      if (m) cmd.rangeVector = { start: parseTestTime(m[1] ?? "0"), end: parseTestTime(m[2] ?? "0"), step: parseTestTime(m[3] ?? "1") };
    }
    if (what === "warn" || what === "info" || what === "no_warn" || what === "no_info") {
      const msg = /^msg\s*:\s?(.*)$/.exec(rest);
      const re = /^regex\s*:\s?(.*)$/.exec(rest);
      cmd.annotations.push(
        msg ? { kind: what, exact: (msg[1] ?? "").trim() } : re ? { kind: what, regex: new RegExp((re[1] ?? "").trim()) } : { kind: what },
      );
    }
    return;
  }
  if (l.includes("{{")) {
    cmd.usesNative = true;
    return;
  }
  if (/^[-+]?(\d|\.\d|inf|nan)/i.test(l) && !/\s/.test(l.trim())) {
    cmd.scalar = parseFloatGo(l.trim());
    return;
  }
  const { labels, rest } = parseSeriesLine(l);
  cmd.series.push({ labels, values: parseValues(rest) });
}

function runEval(cmd: EvalCommand, source: ReturnType<typeof createMemorySource>, options: EngineOptions, excluded: string | undefined): EvalOutcome {
  const annotations = { warnings: [] as string[], infos: [] as string[] };
  const state: { annotationMessage: string | undefined } = { annotationMessage: undefined };
  const done = (passed: boolean, message?: string): EvalOutcome => ({
    line: cmd.line,
    command: cmd.text,
    passed,
    excluded,
    message,
    annotationsOk: cmd.annotations.length === 0 || cmd.expectFail ? undefined : state.annotationMessage === undefined,
    annotationMessage: state.annotationMessage,
  });
  let result: Value;
  const evalOptions: EngineOptions = { ...options, annotations };
  try {
    result =
      cmd.kind === "instant"
        ? evaluateInstant(source, { query: cmd.query, time: cmd.at }, evalOptions)
        : evaluateRange(source, { query: cmd.query, start: cmd.start, end: cmd.end, step: cmd.step }, evalOptions);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!cmd.expectFail) return done(false, `unexpected error: ${message}`);
    if (cmd.failMessage?.exact !== undefined && cmd.failMessage.exact !== message) {
      return done(false, `expected error ${JSON.stringify(cmd.failMessage.exact)}, got ${JSON.stringify(message)}`);
    }
    if (cmd.failMessage?.regex && !cmd.failMessage.regex.test(message)) {
      return done(false, `error ${JSON.stringify(message)} does not match ${String(cmd.failMessage.regex)}`);
    }
    return done(true);
  }
  if (cmd.expectFail) return done(false, "expected an error");
  state.annotationMessage = checkAnnotations(cmd.annotations, annotations);
  const mismatch = compare(cmd, result);
  if (mismatch !== undefined) return done(false, mismatch);
  const rangeMismatch = cmd.kind === "instant" ? checkAsRangeQuery(cmd, result, source, options) : undefined;
  if (rangeMismatch !== undefined) return done(false, `as a range query: ${rangeMismatch}`);
  const atMismatch = cmd.kind === "instant" ? checkWithAtModifier(cmd, result, source, options) : undefined;
  return atMismatch === undefined ? done(true) : done(false, `with @ added: ${atMismatch}`);
}

const AT_UNSAFE_FUNCTIONS: ReadonlySet<string> = new Set([
  "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year", "predict_linear", "time", "timestamp",
]);

/** Sets `@ t` on every selector and subquery that has none (not inside subqueries); undefined if unsafe. */
function withAt(e: Expr, ms: number): Expr | undefined {
  const at = { kind: "time" as const, ms };
  switch (e.type) {
    case "number":
    case "string":
      return e;
    case "vectorSelector":
      return e.at ? e : { ...e, at };
    case "matrixSelector":
      return e.selector.at ? e : { ...e, selector: { ...e.selector, at } };
    case "subquery":
      return e.at ? e : { ...e, at };
    case "paren":
    case "unary": {
      const inner = withAt(e.expr, ms);
      return inner && { ...e, expr: inner };
    }
    case "binary": {
      const lhs = withAt(e.lhs, ms);
      const rhs = withAt(e.rhs, ms);
      return lhs && rhs && { ...e, lhs, rhs };
    }
    case "aggregate": {
      const inner = withAt(e.expr, ms);
      const param = e.param && withAt(e.param, ms);
      return inner && { ...e, expr: inner, param };
    }
    case "call": {
      if (AT_UNSAFE_FUNCTIONS.has(e.func)) return undefined;
      const args: Expr[] = [];
      for (const a of e.args) {
        const x = withAt(a, ms);
        if (!x) return undefined;
        args.push(x);
      }
      return { ...e, args };
    }
  }
}

/**
 * Like Prometheus's harness: with `@ <t>` on every selector, evaluating at other times must give the
 * instant result at t (same labels and values).
 */
function checkWithAtModifier(cmd: EvalCommand, instant: Value, source: ReturnType<typeof createMemorySource>, options: EngineOptions): string | undefined {
  if (instant.type !== "vector" && instant.type !== "scalar") return undefined;
  if (/\b(start|end|range|step)\(\)/.test(cmd.query)) return undefined;
  let expr: Expr | undefined;
  try {
    expr = withAt(parsePromQL(cmd.query, { experimental: true }), cmd.at);
  } catch {
    return undefined;
  }
  if (!expr) return undefined;
  const ts = cmd.at;
  const times = ts === 0 ? [-1000, 0, 1000] : [-10 * ts, 0, Math.trunc(ts / 5), ts, 10 * ts];
  const expected = new Map(
    (instant.type === "scalar" ? [{ labels: {}, value: instant.value }] : instant.samples).map((x) => [key(x.labels), x.value]),
  );
  for (const t of times) {
    let v: Value;
    try {
      v = evaluateInstant(source, { query: expr, time: t }, options);
    } catch (err) {
      return `at ${t / 1000}s: error ${(err as Error).message}`;
    }
    const got = v.type === "scalar" ? [{ labels: {}, value: v.value }] : v.type === "vector" ? v.samples : [];
    if (got.length !== expected.size) return `at ${t / 1000}s: expected ${expected.size} samples, got ${got.length}`;
    for (const g of got) {
      const want = expected.get(key(g.labels));
      if (want === undefined || !almostEqual(g.value, want)) return `at ${t / 1000}s: ${show(g.labels)} expected ${want}, got ${g.value}`;
    }
  }
  return undefined;
}

function checkAnnotations(expected: readonly AnnotationExpectation[], got: { warnings: string[]; infos: string[] }): string | undefined {
  for (const e of expected) {
    const list = e.kind === "warn" || e.kind === "no_warn" ? got.warnings : got.infos;
    if (e.kind === "no_warn" || e.kind === "no_info") {
      if (list.length > 0) return `expected no ${e.kind.slice(3)}, got ${JSON.stringify(list)}`;
      continue;
    }
    if (list.length === 0) return `expected a ${e.kind} annotation`;
    if (e.exact !== undefined && !list.includes(e.exact)) return `expected ${e.kind} ${JSON.stringify(e.exact)}, got ${JSON.stringify(list)}`;
    if (e.regex && !list.some((m) => e.regex?.test(m))) return `no ${e.kind} matches ${String(e.regex)}: ${JSON.stringify(list)}`;
  }
  return undefined;
}

/**
 * Like Prometheus's harness: an instant query must give the same result as the middle step of a
 * range query from t-1m to t+1m with a 1m step (skipped for start()/end()-style queries).
 */
function checkAsRangeQuery(cmd: EvalCommand, instant: Value, source: ReturnType<typeof createMemorySource>, options: EngineOptions): string | undefined {
  if (instant.type !== "vector" && instant.type !== "scalar") return undefined;
  if (/\b(start|end|range|step)\(\)/.test(cmd.query)) return undefined;
  let range: MatrixValue;
  try {
    range = evaluateRange(source, { query: cmd.query, start: cmd.at - 60_000, end: cmd.at + 60_000, step: 60_000 }, options);
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
  const middle = new Map<string, number>();
  for (const s of range.series) for (const p of s.points) if (p.t === cmd.at) middle.set(key(s.labels), p.v);
  const expected = instant.type === "scalar" ? [{ labels: {}, value: instant.value }] : instant.samples;
  if (middle.size !== expected.length) return `expected ${expected.length} series at the middle step, got ${middle.size}`;
  for (const e of expected) {
    const v = middle.get(key(e.labels));
    if (v === undefined || !almostEqual(v, e.value)) return `${show(e.labels)}: instant ${e.value}, range ${v}`;
  }
  return undefined;
}
