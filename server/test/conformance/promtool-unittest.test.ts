/**
 * promtool unit tests (Prometheus v2.42.0, ../shared/conformance/rules/promtool-unittest) run on
 * Auspex's rule engine: every file's exit code matches EXPECTED.tsv, and each failing file fails
 * for the reason promtool fails it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { runPromtoolTestFile, type FailureKind } from "#test/conformance/promtool-unittest.ts";

const dir = new URL("../../../../shared/conformance/rules/promtool-unittest/v2.42.0/", import.meta.url);
const present = existsSync(new URL("EXPECTED.tsv", dir));
const skip = present ? false : `conformance data not found at ${dir.pathname} (needs /work/shared)`;

/** Why promtool exits 1 on each failing file (cmd/promtool/unittest_test.go). */
const REASONS: Record<string, FailureKind[]> = {
  "bad-input-series.yml": ["input_series"],
  "bad-promql.yml": ["promql_error"],
  "bad-rules-syntax-test.yml": ["rule_load"],
  "bad-rules-error-test.yml": ["rule_eval"],
  "failing.yml": ["sample_mismatch", "alert_mismatch"],
};

function expected(): Array<{ file: string; exit: number }> {
  return readFileSync(new URL("EXPECTED.tsv", dir), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => {
      const [file = "", exit = ""] = line.split("\t");
      return { file, exit: Number(exit) };
    });
}

describe("promtool test rules conformance (v2.42.0)", () => {
  it("gives promtool's exit code for every file, for the right reason", { skip }, async () => {
    const lines: string[] = [];
    let agree = 0;
    const rows = expected();
    for (const { file, exit } of rows) {
      const outcome = await runPromtoolTestFile(dir, file);
      const kinds = [...new Set(outcome.failures.map((f) => f.kind))].sort();
      const reasonOk = exit === 0 || JSON.stringify(kinds) === JSON.stringify([...(REASONS[file] ?? [])].sort());
      const ok = outcome.exitCode === exit && reasonOk;
      if (ok) agree++;
      lines.push(`  ${ok ? "ok  " : "FAIL"} ${file}: exit ${outcome.exitCode} (promtool ${exit})${kinds.length > 0 ? ` [${kinds.join(", ")}]` : ""}`);
      if (!ok) for (const f of outcome.failures) lines.push(`       ${f.kind}: ${f.message}`);
    }
    console.log(`promtool unittest: ${agree}/${rows.length} files agree with promtool v2.42.0\n${lines.join("\n")}`);
    assert.equal(agree, rows.length, lines.join("\n"));
  });
});

describe("shipped default rules (deploy/rules/tests, promtool format)", () => {
  it("fire as their promtool unit tests expect", async () => {
    const outcome = await runPromtoolTestFile(new URL("../../../deploy/rules/tests/", import.meta.url), "defaults.test.yml");
    assert.deepEqual(outcome.failures, []);
    assert.equal(outcome.exitCode, 0);
  });
});
