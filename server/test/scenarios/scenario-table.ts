import type { ScenarioOutcome } from "#test/scenarios/scenario-runner.ts";
import { scoreOutcomes } from "#test/scenarios/scenario-runner.ts";
import { controlIsClean } from "#test/scenarios/scenario-runner.ts";

const pct = (n: number, d: number) => (d === 0 ? "–" : `${Math.round((100 * n) / d)}%`);

/** The accuracy table: per scenario kind, top-1 and top-3 of the injected cause; controls; overall. */
export function formatScenarioTable(outcomes: readonly ScenarioOutcome[]): string {
  const kinds = [...new Set(outcomes.map((o) => o.spec.kind))];
  const rows = ["| scenario | expected cause | runs | top-1 | top-3 | mean confidence |", "| --- | --- | ---: | ---: | ---: | ---: |"];
  for (const kind of kinds) {
    const runs = outcomes.filter((o) => o.spec.kind === kind);
    if (runs[0]?.expected === null) {
      const clean = runs.filter(controlIsClean).length;
      rows.push(`| ${kind} | none (no incident) | ${runs.length} | clean ${clean}/${runs.length} | | |`);
      continue;
    }
    const s = scoreOutcomes(runs);
    const conf = runs.reduce((sum, o) => sum + (o.rca?.confidence ?? 0), 0) / runs.length;
    rows.push(`| ${kind} | ${runs[0]?.expected} | ${s.runs} | ${s.top1}/${s.runs} | ${s.top3}/${s.runs} | ${conf.toFixed(2)} |`);
  }
  const all = scoreOutcomes(outcomes);
  rows.push(`| **all faults** | | ${all.runs} | **${all.top1}/${all.runs} (${pct(all.top1, all.runs)})** | **${all.top3}/${all.runs} (${pct(all.top3, all.runs)})** | |`);
  rows.push(`| controls | | ${all.controls} | clean ${all.controlsClean}/${all.controls} | | |`);
  return rows.join("\n");
}

/** One line per run: what was injected, what ranked first, and the rank of the injected cause. */
export function formatScenarioRuns(outcomes: readonly ScenarioOutcome[]): string {
  return outcomes
    .map((o) => {
      const s = o.spec;
      const top = o.rca?.causes[0];
      return `${s.name.padEnd(22)} sev ${s.severity.toFixed(2)} pace ${s.pace.toFixed(2)} ${s.swap ? "swap" : "no-swap"} ${s.distractor.padEnd(9)} incidents ${String(o.incidents.length).padStart(2)} anomalies ${String(o.anomalies.length).padStart(3)}  top: ${(top?.kind ?? "-").padEnd(18)} rank of injected: ${o.expected === null ? "n/a" : (o.rank ?? "absent")}  severity ${o.rca?.severity ?? "-"} confidence ${o.rca?.confidence ?? "-"}`;
    })
    .join("\n");
}
