/** A user's detection settings (sensitivity and per-family or per-series rules), as JSON. */
export interface DetectionSettingsTable {
  user_id: string;
  settings: string;
  updated_at: string;
}
