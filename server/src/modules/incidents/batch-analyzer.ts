import type { Anomaly, AnomalyFilters } from "@auspex/shared/contracts/anomalies.ts";
import type { AiService } from "#server/modules/ai/index.ts";
import type { AnomalyObservation } from "#server/modules/anomalies/index.ts";
import type { QueryService } from "#server/modules/query/index.ts";
import {
  BATCH_SYSTEM,
  BatchAnswer,
  batchPromptData,
  estimateTokens,
  matchReportedAnomalies,
  selectForPrompt,
  seedBatchText,
  summarizeSeries,
  type SeriesSummary,
} from "#server/modules/incidents/batch-summary.rules.ts";
import type { IncidentsRepository } from "#server/modules/incidents/incidents.repository.ts";
import type { DetectionMode } from "#server/modules/incidents/rca-narrator.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { newId } from "#server/platform/ids.ts";
import type { Logger } from "#server/platform/logger.ts";

interface Deps {
  incidents: IncidentsRepository;
  anomalies: {
    observeAnomaly(userId: string, o: AnomalyObservation): Promise<string>;
    closeAnomaly(userId: string, labels: Readonly<Record<string, string>>, t: number): Promise<void>;
    listAnomalies(actor: Actor, filters: AnomalyFilters): Promise<Anomaly[]>;
    getAnomaly(actor: Actor, id: string): Promise<Anomaly>;
  };
  query: Pick<QueryService, "rangeQuery" | "listSeries">;
  ai: Pick<AiService, "completeStructured">;
  modeOf: (userId: string) => Promise<DetectionMode>;
  clock: Clock;
  logger: Logger;
  settings: { intervalMs: number; maxPromptSeries: number };
}

/** The LLM compares the window with this much history before it. */
const BASELINE_MS = 60 * 60_000;
const STEP_MS = 60_000;
/** Every series of the user except Auspex's own detector output. */
const ALL_SERIES = '{__name__=~".+",__name__!~"auspex_.*"}';

const actorFor = (userId: string): Actor => ({ kind: "session", userId, sessionId: "batch-analysis" });

/**
 * Seed 000's batches: every interval each active user's window is recorded (series, samples,
 * anomalies, incident); in `llm` mode the window is summarised (a few numbers per series, not
 * its samples), the LLM reports anomalies and an incident as seed 000's JSON, and the anomalies
 * it names (only series that exist) go into the same records statistical detection writes.
 */
export function createBatchAnalyzer({ incidents, anomalies, query, ai, modeOf, clock, logger, settings }: Deps) {
  /** Samples appended per user since the last batch. */
  const samples = new Map<string, number>();

  async function incidentDuring(userId: string, from: number, to: number): Promise<string | null> {
    const [latest] = await incidents.list(userId, { from, to, limit: 1 });
    return latest?.id ?? null;
  }

  async function recordStatistical(userId: string, mode: DetectionMode, from: number, to: number, sampleCount: number): Promise<void> {
    const actor = actorFor(userId);
    const [series, active] = await Promise.all([
      query.listSeries(actor, { match: [ALL_SERIES], start: from, end: to }),
      anomalies.listAnomalies(actor, { from, to, limit: 1000 }),
    ]);
    await incidents.insertBatch({
      id: newId(),
      user_id: userId,
      mode,
      window_start: new Date(from).toISOString(),
      window_end: new Date(to).toISOString(),
      series_count: series.length,
      sample_count: sampleCount,
      anomaly_count: active.length,
      incident_id: await incidentDuring(userId, from, to),
      status: series.length === 0 ? "empty" : "analysed",
      detail: null,
      llm_provider: null,
      llm_model: null,
      tokens: 0,
      created_at: clock.now().toISOString(),
    });
  }

  async function analyseWithLlm(userId: string, from: number, to: number, sampleCount: number): Promise<void> {
    const actor = actorFor(userId);
    const matrix = await query.rangeQuery(actor, { query: ALL_SERIES, start: from - BASELINE_MS, end: to, step: STEP_MS });
    const summaries: SeriesSummary[] = [];
    matrix.series.forEach((s, i) => {
      const summary = summarizeSeries(`s${i + 1}`, s.labels, s.points, from);
      if (summary) summaries.push(summary);
    });
    const base = {
      id: newId(),
      user_id: userId,
      mode: "llm",
      window_start: new Date(from).toISOString(),
      window_end: new Date(to).toISOString(),
      series_count: summaries.length,
      sample_count: sampleCount,
      created_at: clock.now().toISOString(),
    };
    if (summaries.length === 0) {
      await incidents.insertBatch({ ...base, anomaly_count: 0, incident_id: null, status: "empty", detail: null, llm_provider: null, llm_model: null, tokens: 0 });
      return;
    }
    const shown = selectForPrompt(summaries, settings.maxPromptSeries);
    const window = { from: base.window_start, to: base.window_end };
    const result = await ai.completeStructured({ userId, purpose: "batch", system: BATCH_SYSTEM, data: batchPromptData(window, shown, summaries.length), schema: BatchAnswer, schemaName: "batch_analysis", temperature: 0 });
    const seedTokens = estimateTokens(seedBatchText(matrix.series, from));
    if (!result.ok) {
      await incidents.insertBatch({
        ...base,
        anomaly_count: 0,
        incident_id: await incidentDuring(userId, from, to),
        status: "failed",
        detail: `LLM analysis failed (${result.reason}: ${result.message})`,
        llm_provider: null,
        llm_model: null,
        tokens: result.usage.promptTokens + result.usage.completionTokens,
      });
      return;
    }
    const { matched, invented } = matchReportedAnomalies(result.value, shown);
    const reported = new Set<string>();
    let incidentId: string | null = null;
    for (const { summary, reported: r } of matched) {
      const spread = Math.max(summary.baselineSd, Math.abs(summary.baseline) * 0.05);
      const id = await anomalies.observeAnomaly(userId, {
        labels: summary.labels,
        t: to,
        score: Math.max(1.1, Math.abs(summary.z) / 3),
        value: summary.now,
        expected: summary.baseline,
        lower: summary.baseline - 3 * spread,
        upper: summary.baseline + 3 * spread,
        direction: summary.now >= summary.baseline ? "up" : "down",
        votes: { llm: 1 },
        summary: `${r.symptom}: observed ${r.observed}, expected ${r.expected}`.slice(0, 500),
      });
      reported.add(JSON.stringify(summary.labels));
      incidentId ??= (await anomalies.getAnomaly(actor, id)).incident_id;
    }
    // What the LLM reported before and no longer does is over.
    for (const open of await anomalies.listAnomalies(actor, { status: "open", limit: 1000 })) {
      if (open.votes.llm !== undefined && !reported.has(JSON.stringify(open.labels))) await anomalies.closeAnomaly(userId, open.labels, to);
    }
    const tokens = result.usage.promptTokens + result.usage.completionTokens;
    const title = result.value.incident ? `${result.value.incident.title} (${result.value.incident.severity}): ${result.value.incident.root_cause}. ` : "";
    await incidents.insertBatch({
      ...base,
      anomaly_count: matched.length,
      incident_id: incidentId ?? (await incidentDuring(userId, from, to)),
      status: "analysed",
      detail: `${title}${matched.length} anomal${matched.length === 1 ? "y" : "ies"} reported${invented > 0 ? `, ${invented} dropped (no such series in the batch)` : ""}; ${shown.length} of ${summaries.length} series summarised in ${result.usage.promptTokens} prompt tokens (the raw batch would be ≈ ${seedTokens}).`,
      llm_provider: result.provider,
      llm_model: result.model,
      tokens,
    });
  }

  return {
    /** Counts what ingest stored for the user (the append observer calls this). */
    noteSamples(userId: string, count: number): void {
      samples.set(userId, (samples.get(userId) ?? 0) + count);
    },

    /** One batch per user with samples since the last run, for the window ending now. */
    async runBatches(): Promise<void> {
      const to = clock.now().getTime();
      const from = to - settings.intervalMs;
      const due = [...samples.entries()];
      samples.clear();
      for (const [userId, count] of due) {
        try {
          const mode = await modeOf(userId);
          if (mode === "llm") await analyseWithLlm(userId, from, to, count);
          else await recordStatistical(userId, mode, from, to, count);
        } catch (error) {
          logger.error({ error, user_id: userId }, "batch analysis failed");
        }
      }
    },
  };
}

export type BatchAnalyzer = ReturnType<typeof createBatchAnalyzer>;
