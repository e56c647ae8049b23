import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { AnalysisBatch, Decision, Incident, IncidentEvent, IncidentStatus } from "@auspex/shared/contracts/incidents.ts";
import type { Rca, Severity } from "@auspex/shared/contracts/rca.ts";
import type { AnalysisBatchRow, IncidentEventRow, IncidentRow } from "#server/modules/incidents/incidents.repository.ts";

export function parseRca(row: IncidentRow): Rca | null {
  return row.rca === null ? null : (JSON.parse(row.rca) as Rca);
}

export function presentIncident(row: IncidentRow): Incident {
  const rca = parseRca(row);
  return {
    id: row.id,
    title: row.title,
    severity: row.severity as Severity,
    status: row.status as IncidentStatus,
    started_at: row.started_at,
    last_activity_at: row.last_activity_at,
    resolved_at: row.resolved_at,
    targets: JSON.parse(row.targets) as string[],
    anomaly_count: row.anomaly_count,
    open_anomaly_count: row.open_anomaly_count,
    root_cause: rca?.root_cause ?? null,
    confidence: rca?.confidence ?? null,
    rca_status: row.rca_status as Incident["rca_status"],
    decision: JSON.parse(row.decision) as Decision,
    acknowledged_at: row.acknowledged_at,
    acknowledged_note: row.acknowledged_note,
    feedback:
      row.feedback_rca_correct === null || row.feedback_at === null
        ? null
        : { rca_correct: row.feedback_rca_correct === 1, actual_cause: row.feedback_actual_cause, note: row.feedback_note, at: row.feedback_at },
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function presentEvent(row: IncidentEventRow): IncidentEvent {
  return { at: row.at, kind: row.kind as IncidentEvent["kind"], message: row.message, data: JSON.parse(row.data) as Record<string, unknown> };
}

export function presentBatch(row: AnalysisBatchRow): AnalysisBatch {
  return {
    id: row.id,
    mode: row.mode as AnalysisBatch["mode"],
    window_start: row.window_start,
    window_end: row.window_end,
    series_count: row.series_count,
    sample_count: row.sample_count,
    anomaly_count: row.anomaly_count,
    incident_id: row.incident_id,
    status: row.status as AnalysisBatch["status"],
    detail: row.detail,
    llm: row.llm_provider === null || row.llm_model === null ? null : { provider: row.llm_provider, model: row.llm_model, tokens: row.tokens },
    created_at: row.created_at,
  };
}

/** A title before the analysis has named the cause: what deviated, where. */
export function provisionalTitle(anomalies: readonly Pick<Anomaly, "metric" | "labels">[], targets: readonly string[]): string {
  const metrics = [...new Set(anomalies.map((a) => (a.metric === "host" ? "host indicators" : a.metric)))];
  const where = targets.length === 0 ? "" : targets.length <= 2 ? ` on ${targets.join(", ")}` : ` on ${targets.length} targets`;
  if (metrics.length === 1) return `${metrics[0]} anomalous${where}`;
  return `${anomalies.length} related anomalies${where} (${metrics.slice(0, 2).join(", ")}${metrics.length > 2 ? ", …" : ""})`;
}
