import type { Anomaly, AnomalyFeedbackRequest, AnomalyFilters, FeedbackVerdict } from "@auspex/shared/contracts/anomalies.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { NotFoundError } from "#server/platform/errors.ts";
import { newId } from "#server/platform/ids.ts";
import { summarizeAnomaly } from "#server/modules/anomalies/anomaly-summary.rules.ts";
import type { AnomaliesRepository, AnomalyRow } from "#server/modules/anomalies/anomalies.repository.ts";

/** What the detection engine saw at one sample of an anomalous series. */
export interface AnomalyObservation {
  readonly labels: Readonly<Record<string, string>>;
  /** ms */
  readonly t: number;
  readonly score: number;
  /** In the space of expected and the band (a counter's per-second rate, with `rate`). */
  readonly value: number;
  readonly rate?: boolean;
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
  readonly direction: "up" | "down";
  readonly votes: Readonly<Record<string, number>>;
  readonly contributors?: ReadonlyArray<{ indicator: string; weight: number }>;
  /** Replaces the observed-versus-expected summary (a multivariate detection has no single value). */
  readonly summary?: string;
}

/** What happened to an anomaly at sample time `t` (ms); incidents group anomalies from these. */
export interface AnomalyEvent {
  readonly kind: "opened" | "observed" | "closed";
  readonly userId: string;
  readonly anomaly: Anomaly;
  readonly t: number;
  /** The series' value at `t` when known (a closing anomaly's current value). */
  readonly value?: number;
}

export type AnomalyListener = (event: AnomalyEvent) => Promise<void>;

/** Told when a user judges an anomaly, so detection can adapt that series. */
export type FeedbackListener = (event: { userId: string; labels: Record<string, string>; verdict: FeedbackVerdict; anomalyId: string; peakScore: number }) => void;

interface Deps {
  anomalies: AnomaliesRepository;
  clock: Clock;
  onFeedback?: FeedbackListener;
  /** Awaited, so whoever waits for detection also waits for what the anomaly caused. */
  onEvent?: AnomalyListener;
}

const DEFAULT_LIMIT = 100;

/** A canonical key of a label set (names sorted): one open anomaly per series. */
export function anomalySeriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/**
 * Anomaly records: the detection engine opens, extends and closes them; people list, read and
 * judge them. Every verb is scoped to one user.
 */
export function createAnomaliesService({ anomalies, clock, onFeedback, onEvent }: Deps) {
  const nowIso = () => clock.now().toISOString();

  return {
    async listAnomalies(actor: Actor, filters: AnomalyFilters): Promise<Anomaly[]> {
      const rows = await anomalies.list(actor.userId, {
        ...(filters.from !== undefined && { from: filters.from }),
        ...(filters.to !== undefined && { to: filters.to }),
        ...(filters.target !== undefined && { target: filters.target }),
        ...(filters.min_score !== undefined && { minScore: filters.min_score }),
        ...(filters.status !== undefined && { status: filters.status }),
        limit: filters.limit ?? DEFAULT_LIMIT,
      });
      return rows.map(presentAnomaly);
    },

    async getAnomaly(actor: Actor, anomalyId: string): Promise<Anomaly> {
      const row = await anomalies.findForUser(actor.userId, anomalyId);
      if (!row) throw new NotFoundError("anomaly", anomalyId);
      return presentAnomaly(row);
    },

    async recordFeedback(actor: Actor, anomalyId: string, input: AnomalyFeedbackRequest): Promise<Anomaly> {
      const row = await anomalies.findForUser(actor.userId, anomalyId);
      if (!row) throw new NotFoundError("anomaly", anomalyId);
      const now = nowIso();
      const changes = { feedback_verdict: input.verdict, feedback_note: input.note ?? null, feedback_at: now, updated_at: now };
      if (!(await anomalies.update(actor.userId, anomalyId, changes))) throw new NotFoundError("anomaly", anomalyId);
      onFeedback?.({ userId: actor.userId, labels: JSON.parse(row.labels) as Record<string, string>, verdict: input.verdict, anomalyId, peakScore: row.peak_score });
      return presentAnomaly({ ...row, ...changes });
    },

    /** Opens an anomaly on the series, or raises the open one's peak; returns its id. */
    async observeAnomaly(userId: string, o: AnomalyObservation): Promise<string> {
      const seriesKey = anomalySeriesKey(o.labels);
      const open = await anomalies.findOpen(userId, seriesKey);
      const metric = o.labels.__name__ ?? "";
      const peak = {
        peak_score: o.score,
        peak_at: new Date(o.t).toISOString(),
        observed: o.value,
        expected: o.expected,
        lower: o.lower,
        upper: o.upper,
        direction: o.direction,
        summary: o.summary ?? summarizeAnomaly(metric, o.value, o.expected, o.lower, o.upper, o.rate ?? false),
        votes: JSON.stringify(o.votes),
        contributors: JSON.stringify(o.contributors ?? []),
      };
      if (open) {
        let row = open;
        if (o.score > open.peak_score) {
          row = { ...open, ...peak, updated_at: nowIso() };
          await anomalies.update(userId, open.id, { ...peak, updated_at: row.updated_at });
        }
        await onEvent?.({ kind: "observed", userId, anomaly: presentAnomaly(row), t: o.t });
        return open.id;
      }
      const now = nowIso();
      const row: AnomalyRow = {
        id: newId(),
        user_id: userId,
        series_key: seriesKey,
        metric,
        labels: JSON.stringify(o.labels),
        instance: o.labels.instance ?? null,
        job: o.labels.job ?? null,
        status: "open",
        started_at: new Date(o.t).toISOString(),
        ended_at: null,
        ...peak,
        incident_id: null,
        feedback_verdict: null,
        feedback_note: null,
        feedback_at: null,
        created_at: now,
        updated_at: now,
      };
      await anomalies.insert(row);
      await onEvent?.({ kind: "opened", userId, anomaly: presentAnomaly(row), t: o.t });
      return row.id;
    },

    /** Closes the series' open anomaly at `t` (ms), if there is one; `value` is the series' value then. */
    async closeAnomaly(userId: string, labels: Readonly<Record<string, string>>, t: number, value?: number): Promise<void> {
      const open = await anomalies.findOpen(userId, anomalySeriesKey(labels));
      if (!open) return;
      const closed = { status: "closed", ended_at: new Date(t).toISOString(), updated_at: nowIso() };
      await anomalies.update(userId, open.id, closed);
      await onEvent?.({ kind: "closed", userId, anomaly: presentAnomaly({ ...open, ...closed }), t, ...(value !== undefined && { value }) });
    },

    /** Puts anomalies into an incident. */
    async assignAnomaliesToIncident(userId: string, anomalyIds: readonly string[], incidentId: string): Promise<void> {
      await anomalies.assignIncident(userId, anomalyIds, incidentId);
    },

    /** The anomalies grouped into one incident, oldest first. */
    async listIncidentAnomalies(userId: string, incidentId: string): Promise<Anomaly[]> {
      return (await anomalies.listByIncident(userId, incidentId)).map(presentAnomaly);
    },

    /** Open anomalies not (yet) in any incident. */
    async listUngroupedOpenAnomalies(userId: string): Promise<Anomaly[]> {
      return (await anomalies.listUngroupedOpen(userId)).map(presentAnomaly);
    },

    async countAnomalies(userId: string): Promise<{ total: number; open: number }> {
      return anomalies.count(userId);
    },
  };
}

export type AnomaliesService = ReturnType<typeof createAnomaliesService>;

function presentAnomaly(row: AnomalyRow): Anomaly {
  return {
    id: row.id,
    metric: row.metric,
    labels: JSON.parse(row.labels) as Record<string, string>,
    status: row.status === "open" ? "open" : "closed",
    started_at: row.started_at,
    ended_at: row.ended_at,
    peak_score: row.peak_score,
    peak_at: row.peak_at,
    observed: row.observed,
    expected: row.expected,
    lower: row.lower,
    upper: row.upper,
    direction: row.direction === "down" ? "down" : "up",
    summary: row.summary,
    votes: JSON.parse(row.votes) as Record<string, number>,
    contributors: JSON.parse(row.contributors) as Array<{ indicator: string; weight: number }>,
    incident_id: row.incident_id,
    feedback:
      row.feedback_verdict === null || row.feedback_at === null
        ? null
        : { verdict: row.feedback_verdict as FeedbackVerdict, note: row.feedback_note, at: row.feedback_at },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
