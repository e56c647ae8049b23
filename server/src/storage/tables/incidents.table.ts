/** A group of related anomalies with its root-cause analysis, owned by one user. */
export interface IncidentsTable {
  id: string;
  user_id: string;
  title: string;
  severity: string;
  /** open | acknowledged | resolved */
  status: string;
  started_at: string;
  /** Sample time of the latest anomaly activity (opening, peak or close): the join window and quiet period count from it. */
  last_activity_at: string;
  resolved_at: string | null;
  /** JSON array of affected instances. */
  targets: string;
  anomaly_count: number;
  open_anomaly_count: number;
  /** JSON of the shared Rca contract. */
  rca: string | null;
  /** pending | ready | failed */
  rca_status: string;
  rca_error: string | null;
  rca_updated_at: string | null;
  /** JSON { action, rule, reason }. */
  decision: string;
  acknowledged_at: string | null;
  acknowledged_note: string | null;
  /** 1 / 0 / null (no feedback). */
  feedback_rca_correct: number | null;
  feedback_actual_cause: string | null;
  feedback_note: string | null;
  feedback_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The timeline of an incident. */
export interface IncidentEventsTable {
  id: string;
  user_id: string;
  incident_id: string;
  at: string;
  kind: string;
  message: string;
  /** JSON object. */
  data: string;
}

/** Seed 000's analysed metric batches: one row per user per batch window. */
export interface AnalysisBatchesTable {
  id: string;
  user_id: string;
  /** statistical | llm | hybrid */
  mode: string;
  window_start: string;
  window_end: string;
  series_count: number;
  sample_count: number;
  anomaly_count: number;
  incident_id: string | null;
  /** analysed | failed | empty */
  status: string;
  detail: string | null;
  llm_provider: string | null;
  llm_model: string | null;
  tokens: number;
  created_at: string;
}
