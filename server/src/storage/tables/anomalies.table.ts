/** An anomaly on one of a user's series: opened and updated by the detection engine, with the user's feedback. */
export interface AnomaliesTable {
  id: string;
  user_id: string;
  /** Canonical key of the series' labels (one open anomaly per series). */
  series_key: string;
  metric: string;
  /** JSON object of the series' labels. */
  labels: string;
  instance: string | null;
  job: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  peak_score: number;
  peak_at: string;
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  direction: string;
  summary: string;
  /** JSON object: detector name → score at the peak. */
  votes: string;
  /** JSON array of { indicator, weight }. */
  contributors: string;
  /** The incident it was grouped into (migration 0007). */
  incident_id: string | null;
  feedback_verdict: string | null;
  feedback_note: string | null;
  feedback_at: string | null;
  created_at: string;
  updated_at: string;
}
