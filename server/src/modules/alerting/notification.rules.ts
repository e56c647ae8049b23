import type { Notification, NotificationAlert } from "#server/modules/notifications/index.ts";
import type { AlertRecord } from "#server/modules/alerting/alert-model.ts";

/** Alertmanager's Go zero time: a firing alert's endsAt in its webhook. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

function common(maps: ReadonlyArray<Readonly<Record<string, string>>>): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(first)) if (rest.every((m) => m[name] === value)) out[name] = value;
  return out;
}

/** RFC 3339 without milliseconds when whole seconds, as Alertmanager prints times. */
function rfc3339(ms: number): string {
  const text = new Date(ms).toISOString();
  return text.endsWith(".000Z") ? `${text.slice(0, -5)}Z` : text;
}

function toNotificationAlert(a: AlertRecord, status: "firing" | "resolved", externalURL: string): NotificationAlert {
  return {
    status,
    labels: { ...a.labels },
    annotations: { ...a.annotations },
    startsAt: rfc3339(a.startsAt),
    endsAt: status === "firing" ? ZERO_TIME : rfc3339(a.endsAt ?? a.updatedAt),
    generatorURL: a.generatorURL ?? `${externalURL}/alerts`,
    fingerprint: a.fingerprint,
    ...(a.value !== null && { value: a.value }),
  };
}

/**
 * One group's notification to one receiver, shaped as Alertmanager's template data (the generic
 * webhook sends it as its version 4 payload): firing alerts first, then the resolved ones.
 */
export function buildNotification(input: {
  groupKey: string;
  groupLabels: Record<string, string>;
  receiver: string;
  externalURL: string;
  firing: readonly AlertRecord[];
  resolved: readonly AlertRecord[];
}): Notification {
  const alerts = [...input.firing.map((a) => toNotificationAlert(a, "firing", input.externalURL)), ...input.resolved.map((a) => toNotificationAlert(a, "resolved", input.externalURL))];
  const incident = [...input.firing, ...input.resolved].find((a) => a.incident !== null)?.incident ?? undefined;
  return {
    kind: "alert",
    status: input.firing.length > 0 ? "firing" : "resolved",
    groupKey: input.groupKey,
    receiver: input.receiver,
    groupLabels: { ...input.groupLabels },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: input.externalURL,
    alerts,
    ...(incident && { incident }),
  };
}
