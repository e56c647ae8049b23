/** A user's scrape target; the health columns are written by the scraper after each scrape. */
export interface TargetsTable {
  id: string;
  user_id: string;
  name: string;
  job: string;
  address: string;
  scheme: string;
  metrics_path: string;
  interval_ms: number;
  timeout_ms: number;
  /** JSON object of extra labels. */
  labels: string;
  /** 1 or 0. */
  enabled: number;
  health: string;
  last_scrape_at: string | null;
  last_scrape_duration_ms: number | null;
  last_error: string | null;
  samples_last_scrape: number | null;
  created_at: string;
  updated_at: string;
}
