/**
 * A `promtool test rules` runner over Auspex's rule engine: parses a unit-test file (rule_files,
 * evaluation_interval, tests with input_series in the expanding notation, alert_rule_test and
 * promql_expr_test), replays the series into an in-memory source, evaluates every group at 0,
 * interval, 2·interval, … up to the last eval_time as promtool does, checks firing alerts at each
 * alert eval_time and the PromQL expectations afterwards against the source (which also holds the
 * rules' output). Returns promtool's exit code and its failures, each with a kind (the reason).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { evaluateInstant, createMemorySource, parsePromQL, type Expr, type Value } from "#server/modules/query/promql/index.ts";
import { createGroupEvaluator, type GroupEvaluator } from "#server/modules/rules/group-evaluator.rules.ts";
import { parseRuleFile, parseRuleDuration, formatRuleProblem } from "#server/modules/rules/rule-file.rules.ts";
import { STALE_NAN } from "#server/platform/staleness.ts";
import { expandValues, parseSeriesLine } from "#test/conformance/promqltest.ts";

export type FailureKind = "test_file" | "rule_load" | "input_series" | "rule_eval" | "promql_error" | "alert_mismatch" | "sample_mismatch";

export interface PromtoolFailure {
  kind: FailureKind;
  message: string;
}

export interface PromtoolOutcome {
  exitCode: 0 | 1;
  failures: PromtoolFailure[];
  /** What the engine gave for every alert_rule_test and promql_expr_test (to write expectations for promtool). */
  observed: {
    alerts: Array<{ test: number; alertname: string; at: number; got: Array<{ labels: Readonly<Record<string, string>>; annotations: Readonly<Record<string, string>> }> }>;
    exprs: Array<{ test: number; expr: string; at: number; got: Array<{ labels: Readonly<Record<string, string>>; value: number }> }>;
  };
}

interface TestFile {
  rule_files?: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests?: TestGroup[];
}

interface TestGroup {
  interval?: string;
  name?: string;
  input_series?: Array<{ series: string; values?: string | number }>;
  alert_rule_test?: Array<{ eval_time?: string | number; alertname: string; exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }> }>;
  promql_expr_test?: Array<{ expr: string; eval_time?: string | number; exp_samples?: Array<{ labels?: string; value: number }> }>;
  external_labels?: Record<string, string>;
  external_url?: string;
}

function duration(text: string | number | undefined, fallback: number): number {
  if (text === undefined || text === null) return fallback;
  const d = parseRuleDuration(String(text));
  if (d === undefined) throw new Error(`not a valid duration string: "${String(text)}"`);
  return d;
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(", ")}}`;
}

function toSamples(value: Value): Array<{ labels: Readonly<Record<string, string>>; value: number }> {
  if (value.type === "vector") return value.samples.map((s) => ({ labels: s.labels, value: s.value }));
  if (value.type === "scalar") return [{ labels: {}, value: value.value }];
  throw new Error(`rule result is not a vector or scalar`);
}

/** Stands for a staleness marker inside the plain array (V8 canonicalises NaN payloads in double arrays). */
const STALE = Symbol("stale");

function seriesValues(values: string | number | undefined): Array<number | undefined | typeof STALE> {
  const out: Array<number | undefined | typeof STALE> = [];
  for (const token of String(values ?? "").split(/\s+/).filter((t) => t !== "")) {
    if (token.toLowerCase() === "stale") out.push(STALE);
    else out.push(...expandValues(token));
  }
  return out;
}

/**
 * Prometheus 2.x selects samples in closed windows [t - range, t]; the engine implements 3.x's
 * left-open (t - range, t]. Timestamps are whole milliseconds, so a range one millisecond longer
 * (and lookback delta + 1 ms) selects exactly what 2.x selects. Applied to every expression the
 * harness evaluates (rules and promql_expr_test), since these files are promtool v2.42.0's.
 */
export function closedWindows(expr: Expr): Expr {
  switch (expr.type) {
    case "matrixSelector":
      return { ...expr, range: expr.range + 1 };
    case "subquery":
      return { ...expr, range: expr.range + 1, expr: closedWindows(expr.expr) };
    case "unary":
    case "paren":
      return { ...expr, expr: closedWindows(expr.expr) };
    case "binary":
      return { ...expr, lhs: closedWindows(expr.lhs), rhs: closedWindows(expr.rhs) };
    case "aggregate":
      return { ...expr, expr: closedWindows(expr.expr), param: expr.param && closedWindows(expr.param) };
    case "call":
      return { ...expr, args: expr.args.map(closedWindows) };
    default:
      return expr;
  }
}

/** Runs one promtool unit-test file; rule files are read relative to `dir`. */
export async function runPromtoolTestFile(dir: URL, fileName: string): Promise<PromtoolOutcome> {
  const failures: PromtoolFailure[] = [];
  const observed: PromtoolOutcome["observed"] = { alerts: [], exprs: [] };
  let spec: TestFile;
  try {
    spec = (parseYaml(readFileSync(new URL(fileName, dir), "utf8")) ?? {}) as TestFile;
  } catch (error) {
    return { exitCode: 1, failures: [{ kind: "test_file", message: (error as Error).message }], observed };
  }
  const evalInterval = duration(spec.evaluation_interval, 60_000);
  // Load the rule files once to report syntax errors as promtool does (before any test).
  const groups: Array<{ file: string; def: ReturnType<typeof parseRuleFile> }> = [];
  for (const file of spec.rule_files ?? []) {
    const def = parseRuleFile(readFileSync(new URL(file, dir), "utf8"), { file, nameValidation: "legacy" });
    if (!def.ok) for (const p of def.problems) failures.push({ kind: "rule_load", message: formatRuleProblem(p) });
    groups.push({ file, def });
  }
  if (failures.length > 0) return { exitCode: 1, failures, observed };
  for (const [ti, test] of (spec.tests ?? []).entries()) {
    const name = test.name ?? `test ${ti + 1}`;
    const fail = (kind: FailureKind, message: string): void => void failures.push({ kind, message: `${name}: ${message}` });
    const source = createMemorySource();
    const interval = duration(test.interval, evalInterval);
    try {
      for (const s of test.input_series ?? []) {
        const { labels, rest } = parseSeriesLine(s.series);
        if (rest !== "") throw new Error(`unexpected ${JSON.stringify(rest)} after the series' labels`);
        seriesValues(s.values).forEach((v, i) => {
          if (v !== undefined) source.add(labels, i * interval, v === STALE ? STALE_NAN : v);
        });
      }
    } catch (error) {
      fail("input_series", (error as Error).message);
      continue;
    }
    const externalLabels = test.external_labels ?? {};
    const externalURL = test.external_url ?? "";
    const evaluators: GroupEvaluator[] = [];
    for (const g of groups) if (g.def.ok) for (const group of g.def.file.groups) evaluators.push(createGroupEvaluator(group, g.file));
    const options = { lookbackDelta: 5 * 60_000 + 1, defaultSubqueryStep: evalInterval };
    const instant = (expr: string, t: number): Value => evaluateInstant(source, { query: closedWindows(parsePromQL(expr)), time: t }, options);
    const query = async (expr: string, t: number): Promise<Value> => {
      await Promise.resolve();
      return instant(expr, t);
    };
    const append = (samples: ReadonlyArray<{ labels: Readonly<Record<string, string>>; t: number; v: number }>): Promise<void> => {
      for (const s of samples) source.add(s.labels, s.t, s.v);
      return Promise.resolve();
    };
    const alertTests = (test.alert_rule_test ?? []).map((a) => ({ ...a, at: duration(a.eval_time ?? 0, 0) })).sort((a, b) => a.at - b.at);
    const exprTests = (test.promql_expr_test ?? []).map((p) => ({ ...p, at: duration(p.eval_time ?? 0, 0) }));
    const maxEval = Math.max(0, ...alertTests.map((a) => a.at), ...exprTests.map((p) => p.at));
    let curr = 0;
    let evalFailed = false;
    for (let ts = 0; ts <= maxEval && !evalFailed; ts += evalInterval) {
      for (const ev of evaluators) {
        const result = await ev.evaluate(ts, { query, append, now: () => 0, externalLabels, externalURL });
        for (const e of result.errors) {
          fail("rule_eval", `rule: ${e.rule}, time: ${ts / 1000}s, err: ${e.error}`);
          evalFailed = true;
        }
      }
      if (evalFailed) break;
      while (curr < alertTests.length && ts <= alertTests[curr]!.at && alertTests[curr]!.at < ts + evalInterval) {
        const t = alertTests[curr]!;
        const got: string[] = [];
        const firing = evaluators.flatMap((ev) => ev.firingAlerts(t.alertname));
        observed.alerts.push({ test: ti, alertname: t.alertname, at: t.at, got: firing });
        for (const a of firing) got.push(`${labelsText(a.labels)} ${labelsText(a.annotations)}`);
        const exp = (t.exp_alerts ?? []).map((a) => `${labelsText({ ...(a.exp_labels ?? {}), alertname: t.alertname })} ${labelsText(a.exp_annotations ?? {})}`);
        got.sort();
        exp.sort();
        if (got.join("\n") !== exp.join("\n")) fail("alert_mismatch", `alertname: ${t.alertname}, time: ${t.at / 1000}s,\n  exp: ${exp.join(", ")}\n  got: ${got.join(", ")}`);
        curr++;
      }
    }
    if (evalFailed) continue;
    for (const p of exprTests) {
      let got: Array<{ labels: Readonly<Record<string, string>>; value: number }>;
      try {
        got = toSamples(instant(p.expr, p.at));
      } catch (error) {
        fail("promql_error", `expr: ${JSON.stringify(p.expr)}, time: ${p.at / 1000}s, err: ${(error as Error).message}`);
        continue;
      }
      observed.exprs.push({ test: ti, expr: p.expr, at: p.at, got });
      const exp = (p.exp_samples ?? []).map((s) => ({ labels: s.labels === undefined || s.labels === "" ? {} : parseSeriesLine(s.labels).labels, value: Number(s.value) }));
      const fmt = (xs: typeof got) =>
        xs
          .map((s) => `${labelsText(s.labels)} ${Object.is(s.value, -0) ? 0 : s.value}`)
          .sort()
          .join(", ");
      if (fmt(got) !== fmt(exp)) fail("sample_mismatch", `expr: ${JSON.stringify(p.expr)}, time: ${p.at / 1000}s,\n  exp: ${fmt(exp)}\n  got: ${fmt(got)}`);
    }
  }
  return { exitCode: failures.length > 0 ? 1 : 0, failures, observed };
}
