import { z } from "zod";
import type { Anomaly, AnomalyFilters } from "@auspex/shared/contracts/anomalies.ts";
import type { AnalysisRequest, AnalysisResult, Incident, IncidentFilters } from "@auspex/shared/contracts/incidents.ts";
import type { Rca } from "@auspex/shared/contracts/rca.ts";
import type { AiService } from "#server/modules/ai/index.ts";
import { decideAnalysis, type DetectionMode, type RootCauseAnalyzer } from "#server/modules/incidents/index.ts";
import type { QueryService } from "#server/modules/query/index.ts";
import { describeWindow, healthOf, inFocus, type DeterministicAnalysis } from "#server/modules/analysis/analysis.rules.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";

interface Deps {
  anomalies: { listAnomalies(actor: Actor, filters: AnomalyFilters): Promise<Anomaly[]> };
  incidents: { listIncidents(actor: Actor, filters: IncidentFilters): Promise<Incident[]> };
  analyzer: RootCauseAnalyzer;
  query: Pick<QueryService, "listSeries">;
  ai?: Pick<AiService, "completeStructured">;
  modeOf: (userId: string) => Promise<DetectionMode>;
  clock: Clock;
}

/** The LLM's rewrite of the deterministic analysis; numbers and the decision stay deterministic. */
const AnalysisNarration = z.strictObject({
  analysis: z.string().min(10).max(2000),
  key_findings: z.array(z.string().min(3).max(400)).min(1).max(10),
  recommendations: z.array(z.string().min(3).max(400)).min(1).max(10),
});

const SYSTEM = [
  "You are the on-call analyst of a monitoring system. You receive the deterministic analysis of a user's recent metrics:",
  "health, anomalies with observed vs expected values, open incidents and ranked root causes.",
  "Rewrite it for an engineer: a short analysis, key findings and recommendations.",
  "Use only the facts given; do not change the health verdict or invent hosts, metrics or values.",
].join(" ");

const MAX_ANOMALIES = 500;

/** Seed 001's on-demand analysis over the last minutes, complete without an LLM. */
export function createAnalysisService({ anomalies, incidents, analyzer, query, ai, modeOf, clock }: Deps) {
  return {
    async analyzeRecent(actor: Actor, input: AnalysisRequest): Promise<AnalysisResult> {
      const to = clock.now().getTime();
      const from = to - input.lookback_minutes * 60_000;
      const [recent, open, series] = await Promise.all([
        anomalies.listAnomalies(actor, { from, to, limit: MAX_ANOMALIES }),
        incidents.listIncidents(actor, { from, to, limit: 100 }),
        query.listSeries(actor, { match: ['{__name__=~".+"}'], start: from, end: to, limit: 100_000 }),
      ]);
      const focused = recent.filter((a) => inFocus(a, input.focus_areas));
      const active = open.filter((i) => i.status !== "resolved" && (input.focus_areas.length === 0 || focused.some((a) => i.targets.includes(a.labels.instance ?? ""))));
      const health = healthOf(focused, active);
      let rca: Rca | null = null;
      let evidenceFailed = false;
      if (focused.length > 0) {
        try {
          rca = await analyzer.analyzeRootCause(actor.userId, { anomalies: focused, from: from - 60 * 60_000, to });
        } catch {
          evidenceFailed = true;
        }
      }
      const deterministic = describeWindow({ lookbackMinutes: input.lookback_minutes, focus: input.focus_areas, health, anomalies: focused, incidents: active, rca, seriesCount: series.length });
      const decision = decideAnalysis({
        health,
        noData: series.length === 0,
        evidenceFailed,
        criticalTargets: new Set(focused.filter((a) => a.peak_score >= 4).map((a) => a.labels.instance ?? a.metric)).size,
      });
      const narrated = await narrate(actor.userId, deterministic, { health, anomalies: focused, incidents: active, rca });
      return {
        ...(narrated?.text ?? deterministic),
        confidence: deterministic.confidence,
        severity: health,
        decision,
        window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
        open_incidents: active.map((i) => ({ id: i.id, title: i.title, severity: i.severity })),
        rca,
        source: narrated ? { kind: "llm", provider: narrated.provider, model: narrated.model } : { kind: "deterministic", provider: null, model: null },
      };
    },
  };

  async function narrate(
    userId: string,
    draft: DeterministicAnalysis,
    facts: { health: string; anomalies: readonly Anomaly[]; incidents: readonly Incident[]; rca: Rca | null },
  ): Promise<{ text: DeterministicAnalysis; provider: string; model: string } | undefined> {
    if (!ai || (await modeOf(userId)) === "statistical") return undefined;
    const result = await ai.completeStructured({
      userId,
      purpose: "analysis",
      system: SYSTEM,
      data: {
        draft,
        health: facts.health,
        anomalies: facts.anomalies.slice(0, 30).map((a) => ({ metric: a.metric, labels: a.labels, summary: a.summary, peak_score: a.peak_score, started_at: a.started_at, status: a.status })),
        incidents: facts.incidents.map((i) => ({ title: i.title, severity: i.severity, status: i.status, targets: i.targets, root_cause: i.root_cause })),
        causes: facts.rca?.causes.map((c) => ({ kind: c.kind, title: c.title, score: c.score, explanation: c.explanation })) ?? [],
      },
      schema: AnalysisNarration,
      schemaName: "analysis",
      temperature: 0.2,
    });
    if (!result.ok) return undefined;
    return { text: { ...result.value, confidence: draft.confidence }, provider: result.provider, model: result.model };
  }
}

export type AnalysisService = ReturnType<typeof createAnalysisService>;
