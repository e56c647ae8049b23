/**
 * Measures the deterministic RCA over the fault-scenario suite (server/test/scenarios): each
 * scenario goes through remote_write, streaming detection and the anomaly records of a real app,
 * then the RCA ranks causes from the anomalies of the last hours; prints top-1/top-3 accuracy of
 * the injected cause per scenario kind and the controls' result.
 *
 *   node server/scripts/eval-rca.ts [--variants 3] [--history-hours 24] [--seed 20261122] [--runs] [--llm]
 *
 * --llm: users in hybrid mode with a local OpenAI-protocol server narrating every RCA, to measure
 * LLM tokens per incident against seed 000's approach (every sample of the batch to the LLM).
 */
import { parseArgs } from "node:util";
import { scenarioSuite } from "#test/scenarios/fault-scenarios.ts";
import { startScenarioRunner, type ScenarioOutcome } from "#test/scenarios/scenario-runner.ts";
import { formatScenarioRuns, formatScenarioTable } from "#test/scenarios/scenario-table.ts";

const { values } = parseArgs({
  options: {
    variants: { type: "string", default: "3" },
    "history-hours": { type: "string", default: "24" },
    seed: { type: "string", default: "20261122" },
    runs: { type: "boolean", default: false },
    llm: { type: "boolean", default: false },
  },
});
const variants = Number(values.variants);
const historyHours = Number(values["history-hours"]);
const seed = Number(values.seed);

const started = performance.now();
const runner = await startScenarioRunner({ historyHours, llm: values.llm });
const outcomes: ScenarioOutcome[] = [];
try {
  for (const spec of scenarioSuite(variants, seed)) outcomes.push(await runner.run(spec));
} finally {
  await runner.close();
}
const seconds = (performance.now() - started) / 1000;
const samples = outcomes.reduce((sum, o) => sum + o.samples, 0);
console.log(`RCA scenario suite: ${variants} variant(s) per scenario, seed ${seed}, ${historyHours} h of history at 60 s, ${outcomes.length} runs, ${(samples / 1e6).toFixed(2)} M samples, ${seconds.toFixed(1)} s\n`);
console.log(formatScenarioTable(outcomes));
if (values.runs) console.log(`\n${formatScenarioRuns(outcomes)}`);

if (values.llm) {
  const measured = outcomes.flatMap((o) => (o.tokens ? [o.tokens] : []));
  const sum = (f: (m: (typeof measured)[number]) => number) => measured.reduce((total, m) => total + f(m), 0);
  const incidents = sum((m) => m.incidents);
  const tokens = sum((m) => m.tokens);
  const seed = sum((m) => m.seedTokens);
  console.log(
    `\nLLM tokens (hybrid mode, estimated at 4 characters a token from the real prompts): ${incidents} incidents, ${sum((m) => m.calls)} calls, ` +
      `${Math.round(tokens / Math.max(1, incidents))} tokens per incident; seed 000's whole batch over the same incident windows: ` +
      `${Math.round(seed / Math.max(1, incidents))} tokens per incident; ${(seed / Math.max(1, tokens)).toFixed(1)}x fewer`,
  );
}
