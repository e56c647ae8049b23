/**
 * Runs every exposition conformance case in ../shared/conformance (see exposition-conformance.ts)
 * and fails when a figure drops below its floor: strict OpenMetrics verdicts against the suite's
 * shouldParse, and agreement with Prometheus 2.42's scrape verdicts when parsing the way Prometheus
 * would (text format as is, OpenMetrics with Prometheus-compatible validation).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CONFORMANCE_DIR,
  computeFigures,
  conformanceDataPresent,
  loadCases,
  markdownReport,
  percent,
  runCases,
  type CaseResult,
} from "#test/conformance/exposition-conformance.ts";

/** Required: every valid OpenMetrics case parses in strict mode. */
const VALID_PARSED_FLOOR = 100;
/** Measured 100% (167/167); the requirement is 95%. Raise it, never lower it. */
const INVALID_REJECTED_FLOOR = 100;
/** Measured 100% (398/398) agreement with Prometheus 2.42's verdicts. Raise it, never lower it. */
const PROMETHEUS_AGREEMENT_FLOOR = 100;

const present = conformanceDataPresent();
const skip = present ? false : `conformance data not found at ${CONFORMANCE_DIR.pathname} (needs /work/shared)`;

describe("exposition conformance", () => {
  let results: CaseResult[] = [];
  const load = (): CaseResult[] => {
    if (results.length === 0) results = runCases(loadCases());
    return results;
  };

  it("strict OpenMetrics verdicts match the OpenMetrics suite's shouldParse", { skip }, () => {
    const r = load();
    console.log(markdownReport(r));
    const f = computeFigures(r);
    assert.equal(f.omValid.total, 44, "the OpenMetrics suite has 44 valid cases");
    assert.equal(f.omInvalid.total, 167, "the OpenMetrics suite has 167 invalid cases");
    const validRate = percent(f.omValid.parsed, f.omValid.total);
    const invalidRate = percent(f.omInvalid.rejected, f.omInvalid.total);
    const failing = r.filter((x) => x.case.suite === "openmetrics" && x.strict !== x.case.expected);
    const detail = failing.map((x) => `${x.case.id}: expected ${x.case.expected} (${x.strictError ?? "accepted"})`).join("\n");
    assert.ok(validRate >= VALID_PARSED_FLOOR, `valid cases parsed ${validRate.toFixed(1)}% < ${VALID_PARSED_FLOOR}%\n${detail}`);
    assert.ok(invalidRate >= INVALID_REJECTED_FLOOR, `invalid cases rejected ${invalidRate.toFixed(1)}% < ${INVALID_REJECTED_FLOOR}%\n${detail}`);
  });

  it("agrees with Prometheus 2.42's scrape verdicts in Prometheus-compatible mode", { skip }, () => {
    const r = load();
    const f = computeFigures(r);
    assert.equal(f.prometheusAgreement.total, 398, "the verdict file records 398 cases");
    const disagreements = r
      .filter((x) => x.case.prometheus242 !== undefined && x.prometheus !== x.case.prometheus242)
      .map((x) => `${x.case.id}: Prometheus 2.42 ${x.case.prometheus242 ?? ""}, parser ${x.prometheus} ${x.prometheusError ?? ""}`);
    const rate = percent(f.prometheusAgreement.agree, f.prometheusAgreement.total);
    assert.ok(rate >= PROMETHEUS_AGREEMENT_FLOOR, `agreement ${rate.toFixed(1)}% < ${PROMETHEUS_AGREEMENT_FLOOR}%\n${disagreements.join("\n")}`);
  });

  it("parses Prometheus's large testdata files the way Prometheus would", { skip }, () => {
    const testdata = load().filter((x) => x.case.suite === "prometheus-textparse-testdata");
    assert.equal(testdata.length, 4);
    for (const x of testdata) assert.equal(x.prometheus, "accept", `${x.case.id}: ${x.prometheusError ?? ""}`);
  });
});
