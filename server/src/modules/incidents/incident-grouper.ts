import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { Severity } from "@auspex/shared/contracts/rca.ts";
import type { AnomalyEvent } from "#server/modules/anomalies/index.ts";
import { decideIncident } from "#server/modules/incidents/decision.rules.ts";
import {
  chooseIncident,
  coMovement,
  incidentToOpen,
  isQuiet,
  maxSeverity,
  severityFromAnomalies,
  takesAnomalyAt,
  targetOf,
  type ActiveIncident,
  type AnomalyLite,
  type GroupingSettings,
} from "#server/modules/incidents/incident-grouping.rules.ts";
import { parseRca, provisionalTitle } from "#server/modules/incidents/incident-presenter.ts";
import type { IncidentRow, IncidentsRepository } from "#server/modules/incidents/incidents.repository.ts";
import type { Clock } from "#server/platform/clock.ts";
import { newId } from "#server/platform/ids.ts";

/** The anomaly verbs grouping needs. */
export interface AnomalyAccess {
  assignAnomaliesToIncident(userId: string, anomalyIds: readonly string[], incidentId: string): Promise<void>;
  listIncidentAnomalies(userId: string, incidentId: string): Promise<Anomaly[]>;
  listUngroupedOpenAnomalies(userId: string): Promise<Anomaly[]>;
}

/** Values of one series at a fixed step over [from, to] (ms), NaN where missing; for co-movement. */
export type SeriesValues = (userId: string, labels: Readonly<Record<string, string>>, from: number, to: number, stepMs: number) => Promise<number[]>;

interface GroupedIncident extends ActiveIncident {
  severity: Severity;
  /** Severity the RCA found (evidence such as a disk at 99%); anomalies alone may say less. */
  rcaSeverity: Severity | null;
  status: "open" | "acknowledged";
}

interface UserState {
  readonly incidents: Map<string, GroupedIncident>;
  /** Ungrouped open anomalies, waiting for a partner, a strong score or enough duration. */
  readonly pending: Map<string, AnomalyLite>;
  /** anomaly id → incident id, for the active incidents' members. */
  readonly memberOf: Map<string, string>;
  /** Latest sample time seen (ms). */
  watermark: number;
}

interface Deps {
  incidents: IncidentsRepository;
  anomalies: AnomalyAccess;
  clock: Clock;
  settings: GroupingSettings;
  seriesValues?: SeriesValues;
  /** Asks for a (re-)analysis of the incident's root cause. */
  requestAnalysis: (userId: string, incidentId: string) => void;
  /** After an incident resolved (quiet period or by hand). */
  onResolved?: (userId: string, incidentId: string) => Promise<void>;
}

/** Co-movement needs this much history before the anomaly, at this step. */
const CO_MOVEMENT_WINDOW_MS = 30 * 60_000;
const CO_MOVEMENT_STEP_MS = 60_000;
const CO_MOVEMENT_MIN = 0.8;
/** Members of an incident compared for co-movement (the most recent ones). */
const CO_MOVEMENT_MEMBERS = 3;

const iso = (ms: number) => new Date(ms).toISOString();

export function toLite(a: Anomaly): AnomalyLite {
  const endedAt = a.ended_at === null ? null : Date.parse(a.ended_at);
  return { id: a.id, labels: a.labels, startedAt: Date.parse(a.started_at), endedAt, peakScore: a.peak_score, lastSeenAt: endedAt ?? Date.parse(a.peak_at) };
}

/**
 * Turns the anomaly stream into incidents, in sample time: anomalies that belong together (a
 * shared host, service, dependency, one metric across a job, or series moving together) share
 * one incident; an incident resolves when its anomalies have been closed for a quiet period.
 * State per user lives in memory and is rebuilt from the database on first use.
 */
export function createIncidentGrouper({ incidents, anomalies, clock, settings, seriesValues, requestAnalysis, onResolved }: Deps) {
  const users = new Map<string, UserState>();
  const nowIso = () => clock.now().toISOString();

  async function stateOf(userId: string): Promise<UserState> {
    let state = users.get(userId);
    if (state) return state;
    state = { incidents: new Map(), pending: new Map(), memberOf: new Map(), watermark: Number.NEGATIVE_INFINITY };
    for (const row of await incidents.listActive(userId)) {
      const members = new Map<string, AnomalyLite>();
      for (const a of await anomalies.listIncidentAnomalies(userId, row.id)) {
        members.set(a.id, toLite(a));
        state.memberOf.set(a.id, row.id);
      }
      const rca = parseRca(row);
      state.incidents.set(row.id, {
        id: row.id,
        startedAt: Date.parse(row.started_at),
        lastActivityAt: Date.parse(row.last_activity_at),
        members,
        severity: row.severity as Severity,
        rcaSeverity: rca?.severity ?? null,
        status: row.status === "acknowledged" ? "acknowledged" : "open",
      });
      state.watermark = Math.max(state.watermark, Date.parse(row.last_activity_at));
    }
    for (const a of await anomalies.listUngroupedOpenAnomalies(userId)) state.pending.set(a.id, toLite(a));
    // Another call may have built it while this one awaited.
    const raced = users.get(userId);
    if (raced) return raced;
    users.set(userId, state);
    return state;
  }

  async function event(userId: string, incidentId: string, at: number, kind: string, message: string, data: Record<string, unknown> = {}): Promise<void> {
    await incidents.insertEvent({ id: newId(), user_id: userId, incident_id: incidentId, at: iso(at), kind, message, data: JSON.stringify(data) });
  }

  function targetsOf(incident: ActiveIncident): string[] {
    const targets = new Set<string>();
    for (const m of incident.members.values()) {
      const target = targetOf(m.labels);
      if (target !== undefined) targets.add(target);
    }
    return [...targets].sort();
  }

  function openCount(incident: ActiveIncident): number {
    let n = 0;
    for (const m of incident.members.values()) if (m.endedAt === null) n += 1;
    return n;
  }

  /** Writes the incident's derived columns (counts, targets, severity, activity) after its members changed. */
  async function persistShape(userId: string, incident: GroupedIncident, changes: Partial<IncidentRow> = {}): Promise<void> {
    const row = await incidents.findForUser(userId, incident.id);
    if (!row) return;
    const targets = targetsOf(incident);
    const severity = incident.severity;
    const decision = decideIncident({
      status: incident.status,
      severity,
      rcaStatus: row.rca_status as "pending" | "ready" | "failed",
      rcaStale: changes.rca_status === undefined && row.rca_status === "ready" && incident.members.size !== row.anomaly_count,
      confidence: parseRca(row)?.confidence ?? null,
      topCause: parseRca(row)?.causes[0]?.kind ?? null,
      targetCount: targets.length,
    });
    await incidents.update(userId, incident.id, {
      targets: JSON.stringify(targets),
      anomaly_count: incident.members.size,
      open_anomaly_count: openCount(incident),
      severity,
      last_activity_at: iso(incident.lastActivityAt),
      decision: JSON.stringify(decision),
      updated_at: nowIso(),
      ...changes,
    });
    if (decision.action !== (JSON.parse(row.decision) as { action: string }).action) {
      await event(userId, incident.id, incident.lastActivityAt, "decision", `${decision.action}: ${decision.reason}`, { ...decision });
    }
  }

  /** Recomputes severity from the members (and the RCA's view); records a change. */
  async function refreshSeverity(userId: string, incident: GroupedIncident, at: number): Promise<boolean> {
    const fromAnomalies = severityFromAnomalies(incident.members.values());
    const severity = incident.rcaSeverity === null ? fromAnomalies : maxSeverity(fromAnomalies, incident.rcaSeverity);
    if (severity === incident.severity) return false;
    const before = incident.severity;
    incident.severity = severity;
    await event(userId, incident.id, at, "severity_changed", `Severity ${before} → ${severity}`, { from: before, to: severity });
    return true;
  }

  async function openIncident(state: UserState, userId: string, members: AnomalyLite[], reason: string, t: number): Promise<void> {
    const startedAt = Math.min(...members.map((m) => m.startedAt));
    const incident: GroupedIncident = {
      id: newId(),
      startedAt,
      lastActivityAt: Math.max(t, ...members.map((m) => m.lastSeenAt)),
      members: new Map(members.map((m) => [m.id, m])),
      severity: "low",
      rcaSeverity: null,
      status: "open",
    };
    incident.severity = severityFromAnomalies(incident.members.values());
    const targets = targetsOf(incident);
    const now = nowIso();
    const decision = decideIncident({ status: "open", severity: incident.severity, rcaStatus: "pending", rcaStale: false, confidence: null, topCause: null, targetCount: targets.length });
    await incidents.insert({
      id: incident.id,
      user_id: userId,
      title: provisionalTitle(members.map((m) => ({ metric: m.labels.__name__ ?? "", labels: { ...m.labels } })), targets),
      severity: incident.severity,
      status: "open",
      started_at: iso(startedAt),
      last_activity_at: iso(incident.lastActivityAt),
      resolved_at: null,
      targets: JSON.stringify(targets),
      anomaly_count: members.length,
      open_anomaly_count: openCount(incident),
      rca: null,
      rca_status: "pending",
      rca_error: null,
      rca_updated_at: null,
      decision: JSON.stringify(decision),
      acknowledged_at: null,
      acknowledged_note: null,
      feedback_rca_correct: null,
      feedback_actual_cause: null,
      feedback_note: null,
      feedback_at: null,
      created_at: now,
      updated_at: now,
    });
    await anomalies.assignAnomaliesToIncident(userId, members.map((m) => m.id), incident.id);
    for (const m of members) {
      state.pending.delete(m.id);
      state.memberOf.set(m.id, incident.id);
    }
    state.incidents.set(incident.id, incident);
    await event(userId, incident.id, startedAt, "opened", `Opened: ${reason}`, { anomaly_ids: members.map((m) => m.id), targets });
    await event(userId, incident.id, startedAt, "decision", `${decision.action}: ${decision.reason}`, { ...decision });
    requestAnalysis(userId, incident.id);
  }

  async function join(state: UserState, userId: string, incident: GroupedIncident, anomaly: AnomalyLite, relation: string, t: number): Promise<void> {
    incident.members.set(anomaly.id, anomaly);
    incident.lastActivityAt = Math.max(incident.lastActivityAt, t);
    state.pending.delete(anomaly.id);
    state.memberOf.set(anomaly.id, incident.id);
    await anomalies.assignAnomaliesToIncident(userId, [anomaly.id], incident.id);
    await event(userId, incident.id, anomaly.startedAt, "anomaly_joined", `${anomaly.labels.__name__ ?? "series"} on ${targetOf(anomaly.labels) ?? "?"} joined (${relation.replace("_", " ")})`, {
      anomaly_id: anomaly.id,
      relation,
    });
    await refreshSeverity(userId, incident, t);
    await persistShape(userId, incident);
    requestAnalysis(userId, incident.id);
  }

  /** An incident the anomaly co-moves with, when no label relates it to any. */
  async function coMovingIncident(state: UserState, userId: string, anomaly: AnomalyLite, t: number): Promise<GroupedIncident | undefined> {
    if (!seriesValues) return undefined;
    const from = anomaly.startedAt - CO_MOVEMENT_WINDOW_MS;
    const to = Math.max(t, anomaly.startedAt + CO_MOVEMENT_STEP_MS * 3);
    let mine: number[] | undefined;
    for (const incident of state.incidents.values()) {
      if (!takesAnomalyAt(incident, anomaly.startedAt, settings)) continue;
      const recent = [...incident.members.values()].filter((m) => m.labels.__name__ !== "host").sort((a, b) => b.startedAt - a.startedAt).slice(0, CO_MOVEMENT_MEMBERS);
      for (const member of recent) {
        mine ??= await seriesValues(userId, anomaly.labels, from, to, CO_MOVEMENT_STEP_MS);
        const theirs = await seriesValues(userId, member.labels, from, to, CO_MOVEMENT_STEP_MS);
        if (Math.abs(coMovement(mine, theirs)) >= CO_MOVEMENT_MIN) return incident;
      }
    }
    return undefined;
  }

  async function place(state: UserState, userId: string, anomaly: AnomalyLite, t: number): Promise<void> {
    const chosen = chooseIncident(anomaly, state.incidents.values(), settings);
    if (chosen) {
      const incident = state.incidents.get(chosen.incidentId)!;
      await join(state, userId, incident, anomaly, chosen.relation, t);
      return;
    }
    if (anomaly.labels.__name__ !== "host") {
      const coMoving = await coMovingIncident(state, userId, anomaly, t);
      if (coMoving) {
        await join(state, userId, coMoving, anomaly, "co_movement", t);
        return;
      }
    }
    state.pending.set(anomaly.id, anomaly);
    await maybeOpen(state, userId, anomaly, t);
  }

  async function maybeOpen(state: UserState, userId: string, anomaly: AnomalyLite, t: number): Promise<void> {
    const decision = incidentToOpen(anomaly, state.pending.values(), t, settings);
    if (!decision) return;
    const members = decision.memberIds.map((id) => state.pending.get(id)!).filter(Boolean);
    await openIncident(state, userId, members, decision.reason, t);
  }

  async function resolveQuiet(state: UserState, userId: string): Promise<void> {
    for (const incident of [...state.incidents.values()]) {
      if (!isQuiet(incident, state.watermark, settings)) continue;
      await finish(state, userId, incident, incident.lastActivityAt, "resolved", `Resolved: every anomaly closed and quiet for ${Math.round(settings.quietMs / 60_000)} min`);
    }
  }

  async function finish(state: UserState, userId: string, incident: GroupedIncident, at: number, kind: string, message: string, changes: Partial<IncidentRow> = {}): Promise<void> {
    state.incidents.delete(incident.id);
    for (const id of incident.members.keys()) state.memberOf.delete(id);
    const row = await incidents.findForUser(userId, incident.id);
    const decision = decideIncident({
      status: "resolved",
      severity: incident.severity,
      rcaStatus: "ready",
      rcaStale: false,
      confidence: null,
      topCause: null,
      targetCount: 0,
    });
    await incidents.update(userId, incident.id, {
      status: "resolved",
      resolved_at: iso(at),
      open_anomaly_count: openCount(incident),
      decision: JSON.stringify(decision),
      updated_at: nowIso(),
      ...changes,
    });
    await event(userId, incident.id, at, kind, message, {});
    if (row && (JSON.parse(row.decision) as { action: string }).action !== decision.action) await event(userId, incident.id, at, "decision", `${decision.action}: ${decision.reason}`, { ...decision });
    await onResolved?.(userId, incident.id);
  }

  return {
    /** Applies one anomaly event (opened, observed, closed) at its sample time. */
    async onAnomalyEvent(e: AnomalyEvent): Promise<void> {
      const state = await stateOf(e.userId);
      state.watermark = Math.max(state.watermark, e.t);
      const lite = toLite(e.anomaly);
      const incidentId = state.memberOf.get(lite.id) ?? e.anomaly.incident_id ?? undefined;
      const incident = incidentId === undefined ? undefined : state.incidents.get(incidentId);
      if (e.kind === "closed") {
        if (incident) {
          incident.members.set(lite.id, lite);
          incident.lastActivityAt = Math.max(incident.lastActivityAt, e.t);
          await persistShape(e.userId, incident);
          await event(e.userId, incident.id, e.t, "anomaly_closed", `${lite.labels.__name__ ?? "series"} on ${targetOf(lite.labels) ?? "?"} back to normal`, { anomaly_id: lite.id });
        }
        state.pending.delete(lite.id);
        await resolveQuiet(state, e.userId);
        return;
      }
      if (incident) {
        const member = incident.members.get(lite.id);
        if (member && lite.peakScore > member.peakScore) {
          incident.members.set(lite.id, lite);
          if (await refreshSeverity(e.userId, incident, e.t)) await persistShape(e.userId, incident);
        } else if (member) {
          member.lastSeenAt = e.t;
        }
        return;
      }
      // Grouped into an incident that has since been resolved (by hand): stays there.
      if (incidentId !== undefined) return;
      const pending = state.pending.get(lite.id);
      if (pending) {
        pending.peakScore = Math.max(pending.peakScore, lite.peakScore);
        pending.lastSeenAt = e.t;
        await maybeOpen(state, e.userId, pending, e.t);
        return;
      }
      await place(state, e.userId, { ...lite, lastSeenAt: e.t }, e.t);
    },

    /** The user's samples have reached sample time `t` (ms): resolves incidents that have been quiet long enough. */
    async advanceWatermark(userId: string, t: number): Promise<void> {
      const state = users.get(userId) ?? (await stateOf(userId));
      if (t <= state.watermark) return;
      state.watermark = t;
      await resolveQuiet(state, userId);
    },

    /** Latest sample time seen for the user (ms), if any. */
    watermarkOf(userId: string): number | undefined {
      const w = users.get(userId)?.watermark;
      return w === undefined || !Number.isFinite(w) ? undefined : w;
    },

    /** A person acknowledged it: stays active (anomalies may still join) but no longer escalates. */
    async markAcknowledged(userId: string, incidentId: string): Promise<void> {
      const incident = users.get(userId)?.incidents.get(incidentId);
      if (incident) incident.status = "acknowledged";
    },

    /** A person resolved it: it takes no more anomalies. */
    async markResolved(userId: string, incidentId: string, at: number, note: string | undefined): Promise<boolean> {
      const state = await stateOf(userId);
      const incident = state.incidents.get(incidentId);
      if (!incident) return false;
      await finish(state, userId, incident, at, "resolved", note ? `Resolved by hand: ${note}` : "Resolved by hand", {});
      return true;
    },

    /** The RCA's severity, taken into the incident's. */
    async applyRcaSeverity(userId: string, incidentId: string, severity: Severity): Promise<Severity | undefined> {
      const incident = users.get(userId)?.incidents.get(incidentId);
      if (!incident) return undefined;
      incident.rcaSeverity = severity;
      await refreshSeverity(userId, incident, incident.lastActivityAt);
      return incident.severity;
    },

    /** Members' count when active (to tell whether an analysis saw them all). */
    memberCount(userId: string, incidentId: string): number | undefined {
      return users.get(userId)?.incidents.get(incidentId)?.members.size;
    },
  };
}

export type IncidentGrouper = ReturnType<typeof createIncidentGrouper>;
