/** Manual report: `node server/test/conformance/run-report.ts [file-filter] [--fail]` prints failures. */
import { readdirSync, readFileSync } from "node:fs";
import { EXCLUDED_FILES, runTestScript } from "#test/conformance/promqltest.ts";

const dir = new URL("../../../../shared/conformance/promqltest/main/", import.meta.url);
const filter = process.argv[2] ?? "";
const showFail = process.argv.includes("--fail");
let pass = 0;
let total = 0;
let annPass = 0;
let annTotal = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith(".test") && f.includes(filter)).sort()) {
  const outcomes = runTestScript(readFileSync(new URL(file, dir), "utf8"));
  const target = EXCLUDED_FILES.has(file) ? [] : outcomes.filter((o) => o.excluded === undefined);
  const p = target.filter((o) => o.passed).length;
  pass += p;
  total += target.length;
  console.log(`${file}: ${p}/${target.length}${EXCLUDED_FILES.has(file) ? " (excluded file)" : ""} excluded-evals=${outcomes.length - target.length}`);
  if (showFail) for (const o of target.filter((x) => !x.passed)) console.log(`  L${o.line} ${o.command}\n     ${o.message ?? ""}`);
  const ann = target.filter((o) => o.annotationsOk !== undefined);
  annPass += ann.filter((o) => o.annotationsOk === true).length;
  annTotal += ann.length;
  if (process.argv.includes("--ann")) for (const o of ann.filter((x) => x.annotationsOk === false)) console.log(`  ANN L${o.line} ${o.command}\n     ${o.annotationMessage ?? ""}`);
}
console.log(`annotations: ${annPass}/${annTotal}`);
console.log(`TOTAL ${pass}/${total} = ${((100 * pass) / Math.max(1, total)).toFixed(2)}%`);
