import { compressSync } from "snappy";
import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { Incident, IncidentDetail } from "@auspex/shared/contracts/incidents.ts";
import type { CauseKind, Rca } from "@auspex/shared/contracts/rca.ts";
import type { Actor } from "#server/platform/actor.ts";
import { DATA_TAG } from "#server/modules/ai/index.ts";
import { estimateTokens, seedBatchText } from "#server/modules/incidents/batch-summary.rules.ts";
import { reply, startFakeLlmServer, textOf } from "#test/support/fake-llm-server.ts";
import { encodeColumns } from "#test/scenarios/write-request.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { generateScenario, type GeneratedScenario, type ScenarioSpec } from "#test/scenarios/fault-scenarios.ts";

/*
 * Runs fault scenarios through the real app: remote_write (the real ingest path) → streaming
 * detection → anomaly records → incidents (grouping, then the RCA each incident gets), and scores
 * the ranked causes of the incident on the faulty hosts against the injected one. One app for all
 * scenarios, one user per scenario.
 */

export const SCENARIO_START = Date.parse("2026-03-02T00:00:00Z");
export const SCENARIO_STEP = 60_000;
export const FAULT_HOURS = 2.5;
/** Samples per series per remote_write request (all series of all hosts of the run in each). */
const CHUNK = 120;
/** Incidents are read from this last part of the data (the fault and the distraction sit in it). */
const LOOK_BACK_MS = 4 * 3_600_000;

export interface ScenarioOutcome {
  spec: ScenarioSpec;
  actor: Actor;
  /** End of the scenario's data (ms): the RCA's `to`. */
  end: number;
  expected: CauseKind | null;
  /** Incidents that were active in the last hours of the scenario. */
  incidents: Incident[];
  /** The incident on the faulty hosts (the one with most anomalies there), whose RCA is scored. */
  incident: IncidentDetail | undefined;
  anomalies: Anomaly[];
  rca: Rca | undefined;
  /** 1-based rank of the expected cause among the ranked causes; undefined when absent. */
  rank: number | undefined;
  samples: number;
  tokens?: TokenMeasure;
}

export interface ScenarioRunner {
  run(spec: ScenarioSpec): Promise<ScenarioOutcome>;
  /** The RCA of the outcome's incident again (determinism checks). */
  reanalyze(outcome: ScenarioOutcome): Promise<Rca | null>;
  /** One incident of the outcome's user, in full. */
  detailOf(outcome: ScenarioOutcome, incidentId: string): Promise<IncidentDetail>;
  close(): Promise<void>;
}

export interface ScenarioRunnerOptions {
  /** Normal history before the fault window (default 24 h). */
  historyHours?: number;
  /**
   * Users in hybrid mode against a local OpenAI-protocol server that narrates every RCA validly
   * and reports no usage (so the AI layer counts the real prompts, about 4 characters a token):
   * measures LLM tokens per incident against seed 000's whole-batch approach.
   */
  llm?: boolean;
}

/** LLM tokens of a run's incidents (hybrid mode), against sending every sample of their windows (seed 000). */
export interface TokenMeasure {
  incidents: number;
  calls: number;
  tokens: number;
  seedTokens: number;
}

export async function startScenarioRunner(options: ScenarioRunnerOptions = {}): Promise<ScenarioRunner> {
  const historyDays = (options.historyHours ?? 24) / 24;
  const end = SCENARIO_START + historyDays * 86_400_000 + 4 * 3_600_000;
  const clock = manualClock(new Date(end));
  const llm = options.llm ? await startFakeLlmServer() : undefined;
  llm?.handle((request) => reply(JSON.stringify(narrateFromPrompt(textOf(request, "user"))), { usage: null }));
  const t: TestApp = await startTestApp(
    {
      AUSPEX_DETECTION: "true",
      AUSPEX_REMOTE_WRITE_MAX_SAMPLES_PER_SECOND: "1000000000",
      ...(llm && { AUSPEX_LLM_PRIMARY_URL: llm.openaiUrl, AUSPEX_LLM_MAX_RETRIES: "0" }),
    },
    { clock },
  );
  let users = 0;

  async function push(key: string, scenario: GeneratedScenario): Promise<number> {
    const length = scenario.series[0]?.t.length ?? 0;
    let samples = 0;
    for (let from = 0; from < length; from += CHUNK) {
      samples += scenario.series.length * (Math.min(length, from + CHUNK) - from);
      const response = await t.auspex.app.inject({
        method: "POST",
        url: "/prometheus/api/v1/write",
        headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy", authorization: `Bearer ${key}` },
        payload: compressSync(Buffer.from(encodeColumns(scenario.series, from, from + CHUNK))),
      });
      if (response.statusCode !== 204) throw new Error(`remote_write: ${response.statusCode} ${response.body}`);
      await t.auspex.detection?.idle();
    }
    return samples;
  }

  return {
    async run(spec) {
      const scenario = generateScenario(spec, { start: SCENARIO_START, step: SCENARIO_STEP, historyDays, faultHours: FAULT_HOURS });
      const registered = await t.register(`rca_${++users}_${spec.kind}`);
      const actor: Actor = { kind: "session", userId: registered.user.id, sessionId: registered.session_id };
      const key = await t.apiKey(registered.access_token, ["ingest", "read"]);
      if (llm) {
        const put = await t.auspex.app.inject({ method: "PUT", url: "/api/v1/detection/settings", headers: t.bearer(registered.access_token), payload: { mode: "hybrid" } });
        if (put.statusCode !== 200) throw new Error(`settings: ${put.body}`);
      }
      const samples = await push(key, scenario);
      await t.auspex.incidents.idle();
      const from = scenario.end - LOOK_BACK_MS;
      const incidents = await t.auspex.incidents.listIncidents(actor, { from, to: scenario.end, limit: 100 });
      const onFault = (i: Incident) => i.targets.filter((target) => scenario.faultInstances.includes(target)).length;
      const chosen = incidents.filter((i) => onFault(i) > 0).sort((a, b) => onFault(b) - onFault(a) || b.anomaly_count - a.anomaly_count)[0];
      const incident = chosen && (await t.auspex.incidents.getIncident(actor, chosen.id));
      const result = incident?.rca ?? undefined;
      const index = result?.causes.findIndex((c) => c.kind === scenario.expected) ?? -1;
      const tokens = llm ? await measureTokens(actor, scenario.end) : undefined;
      return {
        spec,
        actor,
        end: scenario.end,
        expected: scenario.expected,
        incidents,
        incident,
        anomalies: incident?.anomalies ?? [],
        rca: result,
        rank: index >= 0 ? index + 1 : undefined,
        samples,
        ...(tokens && { tokens }),
      };
    },
    detailOf: (outcome, id) => t.auspex.incidents.getIncident(outcome.actor, id),
    async reanalyze(outcome) {
      if (!outcome.incident) return null;
      return (await t.auspex.incidents.reanalyzeIncident(outcome.actor, outcome.incident.id)).rca;
    },
    async close() {
      await t.close();
      await llm?.close();
    },
  };

  /** Every incident of the user against the samples seed 000 would have sent over its window. */
  async function measureTokens(actor: Actor, end: number): Promise<TokenMeasure> {
    const all = await t.auspex.incidents.listIncidents(actor, { limit: 1000 });
    const usage = (await t.auspex.ai.summarizeUsage(actor.userId, { from: new Date("2000-01-01T00:00:00Z"), to: new Date("9999-12-31T00:00:00Z") })).filter((u) => u.purpose === "rca");
    let seedTokens = 0;
    for (const incident of all) {
      const from = Date.parse(incident.started_at);
      const to = incident.resolved_at === null ? end : Date.parse(incident.resolved_at);
      const raw = await t.auspex.query.rangeQuery(actor, { query: '{__name__=~".+",__name__!~"auspex_.*"}', start: from, end: to, step: SCENARIO_STEP });
      seedTokens += estimateTokens(seedBatchText(raw.series, from));
    }
    return {
      incidents: all.length,
      calls: usage.reduce((sum, u) => sum + u.calls, 0),
      tokens: usage.reduce((sum, u) => sum + u.promptTokens + u.completionTokens, 0),
      seedTokens,
    };
  }
}

/** A narration that keeps the rules, built from the prompt's data (the offered causes, citing existing evidence). */
function narrateFromPrompt(user: string): unknown {
  const open = `<${DATA_TAG}>`;
  const data = JSON.parse(user.slice(user.indexOf(open) + open.length, user.indexOf(`</${DATA_TAG}>`))) as {
    draft: { title: string; summary: string; root_cause: string; fix_plan: { immediate: string[]; prevention: string[] } };
    causes: Array<{ kind: string }>;
    evidence: Array<{ id: string }>;
  };
  return {
    title: data.draft.title,
    summary: data.draft.summary,
    root_cause: data.draft.root_cause,
    fix_plan: { immediate: data.draft.fix_plan.immediate.slice(0, 8), prevention: data.draft.fix_plan.prevention.slice(0, 8) },
    cause_order: data.causes.map((c) => c.kind),
    citations: data.evidence.slice(0, 3).map((e) => e.id),
  };
}

export interface ScenarioScore {
  runs: number;
  top1: number;
  top3: number;
  controls: number;
  controlsClean: number;
}

/** A control is clean when no incident opened on it. */
export function controlIsClean(outcome: ScenarioOutcome): boolean {
  return outcome.incidents.length === 0;
}

export function scoreOutcomes(outcomes: readonly ScenarioOutcome[]): ScenarioScore {
  const faults = outcomes.filter((o) => o.expected !== null);
  const controls = outcomes.filter((o) => o.expected === null);
  return {
    runs: faults.length,
    top1: faults.filter((o) => o.rank === 1).length,
    top3: faults.filter((o) => o.rank !== undefined && o.rank <= 3).length,
    controls: controls.length,
    controlsClean: controls.filter(controlIsClean).length,
  };
}
