/** Each user's routing tree, inhibition rules and alert sources (JSON of the AlertingConfig contract). */
export interface AlertingConfigsTable {
  user_id: string;
  config: string;
  updated_at: string;
}

/** The current state of every alert a user has (one row per fingerprint). */
export interface AlertsTable {
  user_id: string;
  fingerprint: string;
  /** rule | anomaly | incident | external */
  source: string;
  /** Which rule group, anomaly or incident it comes from (resolving what a source no longer reports). */
  source_key: string;
  labels: string;
  annotations: string;
  /** pending | firing | resolved */
  state: string;
  starts_at: string;
  ends_at: string | null;
  value: number | null;
  generator_url: string | null;
  /** JSON of the incident summary notifications carry, for incident alerts. */
  incident: string | null;
  acknowledged_at: string | null;
  acknowledged_note: string | null;
  /** When receivers were last told it fires (cooldown counts from it). */
  last_firing_notice_at: string | null;
  updated_at: string;
}

/** Aggregation groups between flushes (JSON state and member fingerprints). */
export interface AlertGroupsTable {
  user_id: string;
  group_key: string;
  state: string;
  members: string;
  next_flush_at: string;
}

export interface AlertHistoryTable {
  id: string;
  user_id: string;
  at: string;
  fingerprint: string;
  alertname: string;
  labels: string;
  event: string;
  detail: string;
  value: number | null;
}

export interface SilencesTable {
  id: string;
  user_id: string;
  /** JSON array of matcher texts. */
  matchers: string;
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
  created_at: string;
}

export interface MaintenanceWindowsTable {
  id: string;
  user_id: string;
  name: string;
  matchers: string;
  /** JSON array of mon…sun. */
  days: string;
  /** HH:MM local */
  start: string;
  duration: string;
  time_zone: string;
  created_at: string;
}
