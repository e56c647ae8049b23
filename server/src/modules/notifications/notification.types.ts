/*
 * The notification model the alerting pipeline hands this module, and the outbox item that
 * carries one notification to one channel. Alertmanager-shaped on purpose: the generic webhook
 * sends it as Alertmanager's webhook payload v4.
 */

export type AlertStatus = "firing" | "resolved";

export interface NotificationAlert {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** "0001-01-01T00:00:00Z" while firing, like Alertmanager. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
  /** Current value, shown in resolved messages. */
  value?: number;
}

export interface NotificationIncident {
  id: string;
  title: string;
  severity: "low" | "medium" | "high" | "critical";
  summary: string;
  rootCause: string;
  immediate: string[];
  anomalies: number;
  confidence: number;
  windowStart: string;
  windowEnd: string;
  url?: string;
}

export interface Notification {
  kind: "alert" | "test";
  status: AlertStatus;
  groupKey: string;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: NotificationAlert[];
  incident?: NotificationIncident;
  acknowledged?: { by: string; note: string | null };
}

/** PagerDuty semantics; the other channels send trigger and resolve as firing and resolved messages. */
export type NotificationEvent = "trigger" | "acknowledge" | "resolve";

export interface OutboxItem {
  userId: string;
  channelId: string;
  notification: Notification;
  /** Unique per user and channel: enqueueing the same key again is a no-op; sent as the receiver's dedup key. */
  idempotencyKey: string;
  event: NotificationEvent;
}

/** Alertmanager's Go zero time, the endsAt of a firing alert. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";
