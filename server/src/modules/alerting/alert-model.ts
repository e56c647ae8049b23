import type { NotificationIncident } from "#server/modules/notifications/index.ts";
import type { LabelSet } from "#server/modules/alerting/labels.rules.ts";

export type AlertSource = "rule" | "anomaly" | "incident" | "external";

/** One alert of a user as the pipeline keeps it. Times in ms. */
export interface AlertRecord {
  readonly fingerprint: string;
  readonly source: AlertSource;
  /** The rule group, anomaly series or incident it comes from. */
  readonly sourceKey: string;
  readonly labels: LabelSet;
  annotations: Record<string, string>;
  state: "pending" | "firing" | "resolved";
  startsAt: number;
  endsAt: number | null;
  value: number | null;
  generatorURL: string | null;
  incident: NotificationIncident | null;
  acknowledgedAt: number | null;
  acknowledgedNote: string | null;
  lastFiringNoticeAt: number | null;
  updatedAt: number;
}

/** What a source reports about one alert. */
export interface AlertUpdate {
  readonly labels: LabelSet;
  readonly annotations: Record<string, string>;
  readonly state: "pending" | "firing" | "resolved";
  readonly startsAt?: number;
  /** External alerts: when it resolves unless reported again (Alertmanager's resolve_timeout). */
  readonly endsAt?: number | null;
  readonly value?: number | null;
  readonly generatorURL?: string | null;
  readonly incident?: NotificationIncident | null;
}
