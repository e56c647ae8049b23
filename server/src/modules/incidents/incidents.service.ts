import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type {
  AcknowledgeIncidentRequest,
  AnalysisBatch,
  BatchFilters,
  Incident,
  IncidentDetail,
  IncidentFeedbackRequest,
  IncidentFilters,
  RcaFilters,
  RcaListItem,
  ResolveIncidentRequest,
  Stats,
} from "@auspex/shared/contracts/incidents.ts";
import type { Rca } from "@auspex/shared/contracts/rca.ts";
import type { z } from "zod";
import type { AnomalyEvent } from "#server/modules/anomalies/index.ts";
import { decideIncident } from "#server/modules/incidents/decision.rules.ts";
import { createIncidentGrouper, type AnomalyAccess, type SeriesValues } from "#server/modules/incidents/incident-grouper.ts";
import type { RcaNarrator } from "#server/modules/incidents/rca-narrator.ts";
import { narrationFingerprint, reuseNarration } from "#server/modules/incidents/rca-narration.rules.ts";
import { DEFAULT_GROUPING, type GroupingSettings } from "#server/modules/incidents/incident-grouping.rules.ts";
import { parseRca, presentBatch, presentEvent, presentIncident } from "#server/modules/incidents/incident-presenter.ts";
import type { IncidentRow, IncidentsRepository } from "#server/modules/incidents/incidents.repository.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { ConflictError, NotFoundError } from "#server/platform/errors.ts";
import { newId } from "#server/platform/ids.ts";
import type { Logger } from "#server/platform/logger.ts";

/** Deterministic root-cause analysis over an incident's anomalies and the evidence around them. */
export interface RootCauseAnalyzer {
  analyzeRootCause(userId: string, input: { anomalies: Anomaly[]; from: number; to: number }): Promise<Rca>;
}


/** Told when an incident is analysed, acknowledged or resolved (alerting turns incidents into alerts). */
export type IncidentListener = (userId: string, incident: Incident, rca: Rca | null) => Promise<void>;

interface Deps {
  incidents: IncidentsRepository;
  onChange?: IncidentListener;
  anomalies: AnomalyAccess & { countAnomalies(userId: string): Promise<{ total: number; open: number }> };
  analyzer: RootCauseAnalyzer;
  narrator?: RcaNarrator;
  countTargets: (userId: string) => Promise<number>;
  seriesValues?: SeriesValues;
  clock: Clock;
  logger: Logger;
  settings?: Partial<GroupingSettings>;
}

/** Narrations kept for reuse (one per recently analysed incident). */
const NARRATION_CACHE = 1000;

/** Evidence is read from this long before the incident's first anomaly. */
const EVIDENCE_LOOKBACK_MS = 60 * 60_000;
const DEFAULT_LIMIT = 100;

type RcaListItem = z.infer<typeof RcaListItem>;

/**
 * Incidents: anomalies grouped by the grouper, analysed for their root cause (deterministic,
 * then narrated by an LLM when one is configured), acknowledged, resolved and judged by people.
 */
export function createIncidentsService({ incidents, anomalies, analyzer, narrator, countTargets, seriesValues, clock, logger, settings, onChange }: Deps) {
  const grouping: GroupingSettings = { ...DEFAULT_GROUPING, ...settings };
  const nowIso = () => clock.now().toISOString();

  // Analyses run one at a time, outside the anomaly stream; a request during a run queues one rerun.
  const queued = new Map<string, { userId: string; incidentId: string }>();
  let running: Promise<void> | null = null;
  const idleWaiters: Array<() => void> = [];
  // The last narration per incident: re-analyses that tell the same story reuse it instead of paying for another call.
  const narrations = new Map<string, { fingerprint: string; rca: Rca }>();

  const grouper = createIncidentGrouper({
    incidents,
    anomalies,
    clock,
    settings: grouping,
    ...(seriesValues && { seriesValues }),
    requestAnalysis: (userId, incidentId) => requestAnalysis(userId, incidentId),
    onResolved: (userId, incidentId) => changed(userId, incidentId),
  });

  /** Tells the listener the incident's current state; its failure never breaks the incident flow. */
  async function changed(userId: string, incidentId: string): Promise<void> {
    if (!onChange) return;
    const row = await incidents.findForUser(userId, incidentId);
    if (!row) return;
    try {
      await onChange(userId, presentIncident(row), parseRca(row));
    } catch (error) {
      logger.error({ error, user_id: userId, incident_id: incidentId }, "incident listener failed");
    }
  }

  function requestAnalysis(userId: string, incidentId: string): void {
    queued.set(incidentId, { userId, incidentId });
    running ??= drain();
  }

  async function drain(): Promise<void> {
    // Let the anomaly stream group what arrived together before analysing it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let next = queued.values().next(); !next.done; next = queued.values().next()) {
      const { userId, incidentId } = next.value;
      queued.delete(incidentId);
      try {
        await analyse(userId, incidentId);
      } catch (error) {
        logger.error({ error, user_id: userId, incident_id: incidentId }, "incident analysis failed");
      }
    }
    running = null;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  async function event(userId: string, incidentId: string, kind: string, message: string, data: Record<string, unknown> = {}): Promise<void> {
    await incidents.insertEvent({ id: newId(), user_id: userId, incident_id: incidentId, at: nowIso(), kind, message, data: JSON.stringify(data) });
  }

  async function analyse(userId: string, incidentId: string): Promise<void> {
    const row = await incidents.findForUser(userId, incidentId);
    if (!row) return;
    const members = await anomalies.listIncidentAnomalies(userId, incidentId);
    if (members.length === 0) return;
    const from = Date.parse(row.started_at) - EVIDENCE_LOOKBACK_MS;
    const watermark = grouper.watermarkOf(userId) ?? clock.now().getTime();
    const to = Math.max(Date.parse(row.last_activity_at), Math.min(watermark, clock.now().getTime()));
    let rca: Rca;
    try {
      rca = await analyzer.analyzeRootCause(userId, { anomalies: members, from, to });
    } catch (error) {
      const message = (error as Error).message;
      const decision = decideIncident({ ...decisionInput(row), rcaStatus: "failed", rcaStale: false });
      await incidents.update(userId, incidentId, { rca_status: "failed", rca_error: message, decision: JSON.stringify(decision), updated_at: nowIso() });
      await event(userId, incidentId, "rca_failed", `Root-cause analysis failed: ${message}`, { error: message });
      await changed(userId, incidentId);
      return;
    }
    const fingerprint = narrationFingerprint(rca);
    const previousNarration = narrations.get(incidentId);
    if (narrator && previousNarration?.fingerprint === fingerprint) {
      rca = reuseNarration(rca, previousNarration.rca);
    } else if (narrator) {
      // The deterministic analysis stands whatever happens to the narration; a failure is recorded.
      let outcome;
      try {
        outcome = await narrator(userId, rca, members);
      } catch (error) {
        outcome = { ok: false as const, reason: (error as Error).message };
      }
      if (outcome?.ok) {
        rca = outcome.rca;
        narrations.delete(incidentId);
        narrations.set(incidentId, { fingerprint, rca });
        if (narrations.size > NARRATION_CACHE) narrations.delete(narrations.keys().next().value!);
      } else if (outcome) {
        logger.warn({ user_id: userId, incident_id: incidentId, reason: outcome.reason }, "RCA narration failed; keeping the deterministic text");
        await event(userId, incidentId, "narration_failed", `The LLM's text was not used (${outcome.reason}); the deterministic analysis stands`, { reason: outcome.reason });
      }
    }
    const severity = (await grouper.applyRcaSeverity(userId, incidentId, rca.severity)) ?? row.severity;
    const fresh = (await incidents.findForUser(userId, incidentId)) ?? row;
    const stale = (grouper.memberCount(userId, incidentId) ?? members.length) !== members.length;
    const targets = JSON.parse(fresh.targets) as string[];
    const decision = decideIncident({
      status: fresh.status as "open" | "acknowledged" | "resolved",
      severity: severity as Rca["severity"],
      rcaStatus: "ready",
      rcaStale: stale,
      confidence: rca.confidence,
      topCause: rca.causes[0]?.kind ?? null,
      targetCount: targets.length,
    });
    const previous = parseRca(fresh);
    await incidents.update(userId, incidentId, {
      title: rca.title,
      severity,
      rca: JSON.stringify(rca),
      rca_status: "ready",
      rca_error: null,
      rca_updated_at: nowIso(),
      decision: JSON.stringify(decision),
      updated_at: nowIso(),
    });
    if (previous?.root_cause !== rca.root_cause || previous.source.kind !== rca.source.kind) {
      const by = rca.source.kind === "llm" ? ` (written by ${rca.source.provider ?? "an LLM"})` : "";
      await event(userId, incidentId, "rca_ready", `Root cause: ${rca.root_cause}${by}`, { top_cause: rca.causes[0]?.kind ?? null, confidence: rca.confidence, source: rca.source });
    }
    if ((JSON.parse(fresh.decision) as { action: string }).action !== decision.action) {
      await event(userId, incidentId, "decision", `${decision.action}: ${decision.reason}`, { ...decision });
    }
    await changed(userId, incidentId);
  }

  function decisionInput(row: IncidentRow) {
    const rca = parseRca(row);
    return {
      status: row.status as "open" | "acknowledged" | "resolved",
      severity: row.severity as Rca["severity"],
      confidence: rca?.confidence ?? null,
      topCause: rca?.causes[0]?.kind ?? null,
      targetCount: (JSON.parse(row.targets) as string[]).length,
    };
  }

  async function owned(actor: Actor, incidentId: string): Promise<IncidentRow> {
    const row = await incidents.findForUser(actor.userId, incidentId);
    if (!row) throw new NotFoundError("incident", incidentId);
    return row;
  }

  async function detail(userId: string, row: IncidentRow): Promise<IncidentDetail> {
    const [members, events] = await Promise.all([anomalies.listIncidentAnomalies(userId, row.id), incidents.listEvents(userId, row.id)]);
    return { ...presentIncident(row), anomalies: members, rca: parseRca(row), rca_error: row.rca_error, timeline: events.map(presentEvent) };
  }

  return {
    /** Anomaly stream adapter: the anomalies module calls this for every open, observation and close. */
    onAnomalyEvent: (e: AnomalyEvent) => grouper.onAnomalyEvent(e),

    /** Sample-time progress of a user's data (resolves quiet incidents). */
    advanceWatermark: (userId: string, t: number) => grouper.advanceWatermark(userId, t),

    /** Resolves once queued analyses have run (tests, shutdown). */
    idle(): Promise<void> {
      if (!running) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    async listIncidents(actor: Actor, filters: IncidentFilters): Promise<Incident[]> {
      const rows = await incidents.list(actor.userId, {
        ...(filters.status !== undefined && { status: filters.status }),
        ...(filters.severity !== undefined && { severity: filters.severity }),
        ...(filters.from !== undefined && { from: filters.from }),
        ...(filters.to !== undefined && { to: filters.to }),
        ...(filters.target !== undefined && { target: filters.target }),
        limit: filters.limit ?? DEFAULT_LIMIT,
      });
      return rows.map(presentIncident);
    },

    async getIncident(actor: Actor, incidentId: string): Promise<IncidentDetail> {
      return detail(actor.userId, await owned(actor, incidentId));
    },

    async acknowledgeIncident(actor: Actor, incidentId: string, input: AcknowledgeIncidentRequest): Promise<IncidentDetail> {
      const row = await owned(actor, incidentId);
      if (row.status === "resolved") throw new ConflictError("A resolved incident cannot be acknowledged.");
      const now = nowIso();
      const decision = decideIncident({ ...decisionInput(row), status: "acknowledged", rcaStatus: row.rca_status as "pending" | "ready" | "failed", rcaStale: false });
      await incidents.update(actor.userId, incidentId, {
        status: "acknowledged",
        acknowledged_at: now,
        acknowledged_note: input.note ?? null,
        decision: JSON.stringify(decision),
        updated_at: now,
      });
      await grouper.markAcknowledged(actor.userId, incidentId);
      await event(actor.userId, incidentId, "acknowledged", input.note ? `Acknowledged: ${input.note}` : "Acknowledged", { note: input.note ?? null });
      await changed(actor.userId, incidentId);
      return detail(actor.userId, (await incidents.findForUser(actor.userId, incidentId))!);
    },

    async resolveIncident(actor: Actor, incidentId: string, input: ResolveIncidentRequest): Promise<IncidentDetail> {
      const row = await owned(actor, incidentId);
      if (row.status === "resolved") throw new ConflictError("The incident is already resolved.");
      const at = clock.now().getTime();
      if (!(await grouper.markResolved(actor.userId, incidentId, at, input.note))) {
        await incidents.update(actor.userId, incidentId, { status: "resolved", resolved_at: new Date(at).toISOString(), updated_at: nowIso() });
        await event(actor.userId, incidentId, "resolved", input.note ? `Resolved by hand: ${input.note}` : "Resolved by hand");
        await changed(actor.userId, incidentId);
      }
      return detail(actor.userId, (await incidents.findForUser(actor.userId, incidentId))!);
    },

    async recordIncidentFeedback(actor: Actor, incidentId: string, input: IncidentFeedbackRequest): Promise<IncidentDetail> {
      await owned(actor, incidentId);
      const now = nowIso();
      await incidents.update(actor.userId, incidentId, {
        feedback_rca_correct: input.rca_correct ? 1 : 0,
        feedback_actual_cause: input.actual_cause ?? null,
        feedback_note: input.note ?? null,
        feedback_at: now,
        updated_at: now,
      });
      const verdict = input.rca_correct ? "RCA confirmed" : `RCA judged wrong${input.actual_cause ? `; actual cause: ${input.actual_cause}` : ""}`;
      await event(actor.userId, incidentId, "feedback", input.note ? `${verdict} (${input.note})` : verdict, {
        rca_correct: input.rca_correct,
        actual_cause: input.actual_cause ?? null,
      });
      return detail(actor.userId, (await incidents.findForUser(actor.userId, incidentId))!);
    },

    /** Re-runs the root-cause analysis with the data stored now; returns once it is done. */
    async reanalyzeIncident(actor: Actor, incidentId: string): Promise<IncidentDetail> {
      await owned(actor, incidentId);
      await incidents.update(actor.userId, incidentId, { rca_status: "pending", updated_at: nowIso() });
      await analyse(actor.userId, incidentId);
      return detail(actor.userId, (await incidents.findForUser(actor.userId, incidentId))!);
    },

    async listRootCauses(actor: Actor, filters: RcaFilters): Promise<RcaListItem[]> {
      const rows = await incidents.listAnalysed(actor.userId, {
        ...(filters.from !== undefined && { from: filters.from }),
        ...(filters.to !== undefined && { to: filters.to }),
        limit: filters.limit ?? DEFAULT_LIMIT,
      });
      return rows.flatMap((row) => {
        const rca = parseRca(row);
        if (!rca) return [];
        return [
          {
            incident_id: row.id,
            title: rca.title,
            severity: rca.severity,
            root_cause: rca.root_cause,
            confidence: rca.confidence,
            top_cause: rca.causes[0]?.kind ?? "unknown",
            source: rca.source,
            generated_at: rca.generated_at,
          },
        ];
      });
    },

    async listBatches(actor: Actor, filters: BatchFilters): Promise<AnalysisBatch[]> {
      const rows = await incidents.listBatches(actor.userId, {
        ...(filters.from !== undefined && { from: filters.from }),
        ...(filters.to !== undefined && { to: filters.to }),
        limit: filters.limit ?? DEFAULT_LIMIT,
      });
      return rows.map(presentBatch);
    },

    async getStats(actor: Actor): Promise<Stats> {
      const [counts, anomalyCounts, batches, targets] = await Promise.all([
        incidents.count(actor.userId),
        anomalies.countAnomalies(actor.userId),
        incidents.countBatches(actor.userId),
        countTargets(actor.userId),
      ]);
      return {
        batches,
        incidents: counts.total,
        open_incidents: counts.open,
        anomalies: anomalyCounts.total,
        open_anomalies: anomalyCounts.open,
        rca: counts.analysed,
        targets,
      };
    },
  };
}

export type IncidentsService = ReturnType<typeof createIncidentsService>;
