/** A user's notification channel; `secrets` is an AES-256-GCM box (modules/notifications/secret-box.ts) or null. */
export interface NotificationChannelsTable {
  id: string;
  user_id: string;
  name: string;
  type: string;
  /** 1 or 0. */
  enabled: number;
  /** 1 or 0. */
  send_resolved: number;
  /** JSON object of the type's non-secret settings. */
  config: string;
  secrets: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * One message to one channel, written in the transaction of the state change that causes it.
 * status: pending → sending (leased) → delivered | pending (retry) | failed (gave up) | dropped.
 */
export interface NotificationOutboxTable {
  id: string;
  user_id: string;
  channel_id: string;
  idempotency_key: string;
  /** trigger, acknowledge or resolve. */
  event: string;
  group_key: string;
  /** JSON of the Notification. */
  notification: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  /** While sending: a worker holds the row until then; after it, another may take it over. */
  lease_until: string | null;
  claim_token: string | null;
  /** Set at the first attempt: retries stop after this (AUSPEX_NOTIFY_GIVE_UP_AFTER). */
  give_up_at: string | null;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
}

/** History: one row per delivery attempt. */
export interface NotificationAttemptsTable {
  id: string;
  user_id: string;
  outbox_id: string;
  channel_id: string;
  attempt: number;
  at: string;
  /** success, retry, failed, dropped. */
  outcome: string;
  status_code: number | null;
  detail: string | null;
  duration_ms: number;
}
