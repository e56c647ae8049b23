/**
 * Loads the exposition conformance cases from ../shared/conformance (OpenMetrics parser suite,
 * Prometheus textparse extracts, expfmt fuzz corpus, valid inputs, large testdata files) and runs
 * them through parseExposition in both validation modes. Shared by exposition.test.ts and
 * exposition-report.ts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { ExpositionError, parseExposition, type OpenMetricsValidation } from "#server/platform/exposition/index.ts";

export const CONFORMANCE_DIR = new URL("../../../../shared/conformance/", import.meta.url);
const OM_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0";
const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4";

export type Verdict = "accept" | "reject";

export interface ConformanceCase {
  id: string;
  /** Suite, or for the OpenMetrics suite the case name without its number (bad_histograms, …). */
  category: string;
  suite: string;
  body: Uint8Array;
  contentType: string;
  expected: Verdict;
  /** What Prometheus 2.42's scraper did with it, when recorded. */
  prometheus242: Verdict | undefined;
}

export interface CaseResult {
  case: ConformanceCase;
  strict: Verdict;
  strictError: string | undefined;
  prometheus: Verdict;
  prometheusError: string | undefined;
}

interface ExtractedFile {
  cases: Array<{ input: { text?: string; base64?: string }; expect: Verdict }>;
}

interface VerdictFile {
  results: Array<{ id: string; content_type: string; prometheus_2_42: Verdict }>;
}

export function conformanceDataPresent(): boolean {
  return existsSync(new URL("openmetrics/parsers/", CONFORMANCE_DIR)) && existsSync(new URL("textparse/", CONFORMANCE_DIR));
}

export function loadCases(): ConformanceCase[] {
  const verdicts = JSON.parse(readFileSync(new URL("prometheus-2.42-scrape-verdicts.json", CONFORMANCE_DIR), "utf8")) as VerdictFile;
  const byId = new Map(verdicts.results.map((r) => [r.id, r]));
  const cases: ConformanceCase[] = [];
  const add = (id: string, category: string, suite: string, body: Uint8Array, contentType: string, expected: Verdict): void => {
    const recorded = byId.get(id);
    cases.push({ id, category, suite, body, contentType: recorded?.content_type ?? contentType, expected, prometheus242: recorded?.prometheus_2_42 });
  };

  const omDir = new URL("openmetrics/parsers/", CONFORMANCE_DIR);
  for (const name of readdirSync(omDir).sort()) {
    const test = JSON.parse(readFileSync(new URL(`${name}/test.json`, omDir), "utf8")) as { shouldParse: boolean };
    const category = name.startsWith("bad_") ? name.replace(/_\d+$/, "") : "valid";
    add(`om/${name}`, category, "openmetrics", readFileSync(new URL(`${name}/metrics`, omDir)), OM_CONTENT_TYPE, test.shouldParse ? "accept" : "reject");
  }

  const textparse = new URL("textparse/", CONFORMANCE_DIR);
  for (const file of readdirSync(new URL("extracted/", textparse)).sort()) {
    const suite = file.replace(/\.json$/, "");
    const extracted = JSON.parse(readFileSync(new URL(`extracted/${file}`, textparse), "utf8")) as ExtractedFile;
    const contentType = suite.startsWith("openmetrics") ? OM_CONTENT_TYPE : TEXT_CONTENT_TYPE;
    extracted.cases.forEach((c, i) => {
      const body = c.input.base64 !== undefined ? Buffer.from(c.input.base64, "base64") : Buffer.from(c.input.text ?? "", "utf8");
      add(`${suite}#${i}`, suite, suite, body, contentType, c.expect);
    });
  }
  const fuzz = new URL("prometheus-common-expfmt/fuzz-corpus/", textparse);
  for (const name of readdirSync(fuzz).sort()) {
    add(`expfmt-fuzz-corpus/${name}`, "expfmt-fuzz-corpus", "expfmt-fuzz-corpus", readFileSync(new URL(name, fuzz)), TEXT_CONTENT_TYPE, name.includes("error") ? "reject" : "accept");
  }
  for (const folder of ["valid-inputs", "prometheus-textparse-testdata"]) {
    const dir = new URL(`${folder}/`, textparse);
    for (const name of readdirSync(dir).sort()) {
      add(`${folder}/${name}`, folder, folder, readFileSync(new URL(name, dir)), name.endsWith(".om.txt") ? OM_CONTENT_TYPE : TEXT_CONTENT_TYPE, "accept");
    }
  }
  return cases;
}

function verdict(c: ConformanceCase, validation: OpenMetricsValidation): { verdict: Verdict; error: string | undefined } {
  try {
    parseExposition(c.body, c.contentType, { openMetricsValidation: validation });
    return { verdict: "accept", error: undefined };
  } catch (err) {
    if (!(err instanceof ExpositionError)) throw new Error(`${c.id}: parser threw a non-ExpositionError`, { cause: err });
    return { verdict: "reject", error: err.message };
  }
}

export function runCases(cases: ConformanceCase[]): CaseResult[] {
  return cases.map((c) => {
    const strict = verdict(c, "strict");
    const prometheus = verdict(c, "prometheus");
    return { case: c, strict: strict.verdict, strictError: strict.error, prometheus: prometheus.verdict, prometheusError: prometheus.error };
  });
}

export interface Figures {
  /** OpenMetrics suite, strict validation. */
  omValid: { parsed: number; total: number };
  omInvalid: { rejected: number; total: number };
  /** Cases with a recorded Prometheus 2.42 verdict, parsed the way Prometheus would. */
  prometheusAgreement: { agree: number; total: number };
}

export function computeFigures(results: CaseResult[]): Figures {
  const om = results.filter((r) => r.case.suite === "openmetrics");
  const valid = om.filter((r) => r.case.expected === "accept");
  const invalid = om.filter((r) => r.case.expected === "reject");
  const recorded = results.filter((r) => r.case.prometheus242 !== undefined);
  return {
    omValid: { parsed: valid.filter((r) => r.strict === "accept").length, total: valid.length },
    omInvalid: { rejected: invalid.filter((r) => r.strict === "reject").length, total: invalid.length },
    prometheusAgreement: { agree: recorded.filter((r) => r.prometheus === r.case.prometheus242).length, total: recorded.length },
  };
}

export const percent = (part: number, total: number): number => (100 * part) / Math.max(1, total);

/**
 * Markdown tables: OpenMetrics strict by category, then by suite the agreement with Prometheus
 * 2.42 and with the upstream expectation in the default mode (OpenMetrics strict, text format
 * always as lenient as Prometheus 2.42).
 */
export function markdownReport(results: CaseResult[]): string {
  const lines: string[] = [];
  const om = results.filter((r) => r.case.suite === "openmetrics");
  lines.push("| OpenMetrics suite category | cases | strict verdict = shouldParse |", "| --- | ---: | ---: |");
  for (const [category, group] of groupBy(om, (r) => r.case.category)) {
    const ok = group.filter((r) => r.strict === r.case.expected).length;
    lines.push(`| ${category} | ${group.length} | ${ok}/${group.length} |`);
  }
  const f = computeFigures(results);
  lines.push(
    `| **valid parsed** | ${f.omValid.total} | **${f.omValid.parsed}/${f.omValid.total} (${percent(f.omValid.parsed, f.omValid.total).toFixed(1)}%)** |`,
    `| **invalid rejected** | ${f.omInvalid.total} | **${f.omInvalid.rejected}/${f.omInvalid.total} (${percent(f.omInvalid.rejected, f.omInvalid.total).toFixed(1)}%)** |`,
    "",
    "| suite | cases | Prometheus-compatible mode = Prometheus 2.42 | default mode = upstream expectation |",
    "| --- | ---: | ---: | ---: |",
  );
  for (const [suite, group] of groupBy(results, (r) => r.case.suite)) {
    const recorded = group.filter((r) => r.case.prometheus242 !== undefined);
    const agree = recorded.filter((r) => r.prometheus === r.case.prometheus242).length;
    const expected = group.filter((r) => r.strict === r.case.expected).length;
    const promCell = recorded.length === 0 ? "not recorded" : `${agree}/${recorded.length}`;
    lines.push(`| ${suite} | ${group.length} | ${promCell} | ${expected}/${group.length} |`);
  }
  const a = f.prometheusAgreement;
  lines.push(`| **all recorded** | ${a.total} | **${a.agree}/${a.total} (${percent(a.agree, a.total).toFixed(1)}%)** | |`);
  return lines.join("\n");
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
