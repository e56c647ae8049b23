/**
 * Manual report: `node server/test/conformance/exposition-report.ts [--cases]` prints the markdown
 * tables of exposition conformance results; `--cases` also lists every case whose verdict
 * disagrees, with the parser's message.
 */
import { conformanceDataPresent, loadCases, markdownReport, runCases } from "#test/conformance/exposition-conformance.ts";

if (!conformanceDataPresent()) {
  console.log("conformance data not found (needs ../shared/conformance)");
  process.exit(1);
}
const results = runCases(loadCases());
console.log(markdownReport(results));
if (process.argv.includes("--cases")) {
  console.log("\nDisagreements:");
  for (const r of results) {
    if (r.strict !== r.case.expected) console.log(`  default    ${r.case.id}: expected ${r.case.expected}, got ${r.strict} ${r.strictError ?? ""}`);
    if (r.case.prometheus242 !== undefined && r.prometheus !== r.case.prometheus242) {
      console.log(`  prometheus ${r.case.id}: 2.42 ${r.case.prometheus242}, got ${r.prometheus} ${r.prometheusError ?? ""}`);
    }
  }
}
