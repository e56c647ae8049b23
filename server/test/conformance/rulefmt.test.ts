/**
 * Prometheus's rulefmt test files (../shared/conformance/rules/rulefmt): every *.bad.yaml is rejected
 * and every good file accepted. v2.42.0 is checked with legacy (2.x) name validation; main with UTF-8
 * names, except its legacy_validation_* files, which Prometheus checks with the legacy scheme.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { formatRuleProblem, parseRuleFile, type NameValidation } from "#server/modules/rules/rule-file.rules.ts";

const root = new URL("../../../../shared/conformance/rules/rulefmt/", import.meta.url);
const present = existsSync(root);
const skip = present ? false : `conformance data not found at ${root.pathname} (needs /work/shared)`;

function check(version: string, modeOf: (file: string) => NameValidation): { lines: string[]; good: [number, number]; bad: [number, number] } {
  const dir = new URL(`${version}/`, root);
  const lines: string[] = [];
  const good: [number, number] = [0, 0];
  const bad: [number, number] = [0, 0];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    const result = parseRuleFile(readFileSync(new URL(file, dir), "utf8"), { file, nameValidation: modeOf(file) });
    const isBad = file.endsWith(".bad.yaml");
    const counter = isBad ? bad : good;
    counter[1]++;
    const ok = isBad ? !result.ok : result.ok;
    if (ok) counter[0]++;
    const detail = result.ok ? "accepted" : `rejected: ${result.problems.map(formatRuleProblem).join("; ")}`;
    lines.push(`  ${ok ? "ok  " : "FAIL"} ${version}/${file}: ${detail}`);
  }
  return { lines, good, bad };
}

describe("rulefmt conformance", () => {
  for (const [version, modeOf] of [
    ["v2.42.0", (): NameValidation => "legacy"],
    ["main", (file: string): NameValidation => (file.startsWith("legacy_validation") ? "legacy" : "utf8")],
  ] as const) {
    it(`accepts the good and rejects the bad files of ${version}`, { skip }, () => {
      const { lines, good, bad } = check(version, modeOf);
      console.log(`rulefmt ${version}: good accepted ${good[0]}/${good[1]}, bad rejected ${bad[0]}/${bad[1]}\n${lines.join("\n")}`);
      assert.deepEqual([good[0], bad[0]], [good[1], bad[1]], lines.join("\n"));
    });
  }
});
