import type { Notification, NotificationAlert, NotificationIncident } from "#server/modules/notifications/notification.types.ts";

/*
 * The words of a notification, shared by the channel formats: Alertmanager's default title for
 * alert groups, seed 000's incident format, times in the user's time zone.
 */

export const SEVERITY_EMOJI: Readonly<Record<NotificationIncident["severity"], string>> = {
  critical: "🚨",
  high: "🔴",
  medium: "🟠",
  low: "🟡",
};

/** Cut to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function sortedValues(labels: Record<string, string>, skip: ReadonlySet<string> = new Set()): string[] {
  return Object.keys(labels)
    .filter((name) => !skip.has(name))
    .sort()
    .map((name) => labels[name] ?? "");
}

export function firingCount(n: Notification): number {
  return n.alerts.filter((a) => a.status === "firing").length;
}

/**
 * Alertmanager's default title: "[FIRING:2] HighLatency (node page)" — the status with the
 * number firing, the group labels' values, then the other common labels' values in brackets.
 */
export function alertTitle(n: Notification): string {
  const status = n.status === "firing" ? `FIRING:${firingCount(n)}` : "RESOLVED";
  const group = sortedValues(n.groupLabels).join(" ");
  const rest = sortedValues(n.commonLabels, new Set(Object.keys(n.groupLabels)));
  const title = `[${status}] ${group}${rest.length > 0 ? ` (${rest.join(" ")})` : ""}`.trim();
  return `${n.kind === "test" ? "[TEST] " : ""}${title}`;
}

/** "[HIGH] High Memory Usage" (seed 000's subject), marked when resolved or acknowledged. */
export function incidentTitle(n: Notification, incident: NotificationIncident): string {
  const marker = n.status === "resolved" ? "[RESOLVED] " : n.acknowledged ? "[ACK] " : "";
  return `${n.kind === "test" ? "[TEST] " : ""}${marker}[${incident.severity.toUpperCase()}] ${incident.title}`;
}

/** The notification's title in either format. */
export function titleOf(n: Notification): string {
  return n.incident ? incidentTitle(n, n.incident) : alertTitle(n);
}

/** Confidence as a percentage, given as a fraction (0.85) or a percentage (85). */
export function confidencePercent(confidence: number): number {
  return Math.round(confidence <= 1 ? confidence * 100 : confidence);
}

interface LocalParts {
  date: string;
  time: string;
  zone: string;
}

function zoneName(at: Date, timeZone: string): string {
  // en-US names most zones by offset ("GMT+5:30"); other English locales know more abbreviations (IST, CET).
  let fallback = "";
  for (const locale of ["en-US", "en-IN", "en-GB"]) {
    const name = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: "short" }).formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? "";
    if (fallback === "") fallback = name;
    if (name !== "" && !name.startsWith("GMT")) return name;
  }
  return fallback === "" ? timeZone : fallback;
}

function localParts(iso: string, timeZone: string): LocalParts {
  const at = new Date(iso);
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return { date: `${get("year")}-${get("month")}-${get("day")}`, time: `${get("hour")}:${get("minute")}`, zone: zoneName(at, timeZone) };
}

/** A time zone Intl knows, else UTC (a stored zone may predate the runtime's tz database). */
export function usableTimeZone(timeZone: string | undefined): string {
  if (timeZone === undefined || timeZone === "") return "UTC";
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return timeZone;
  } catch {
    return "UTC";
  }
}

/** "2026-01-31 15:20 IST". */
export function formatTime(iso: string, timeZone: string): string {
  const p = localParts(iso, timeZone);
  return `${p.date} ${p.time} ${p.zone}`;
}

/** Seed 000's window: "2026-01-31 15:20 → 15:21 IST" (the end's date only when it differs). */
export function formatWindow(startIso: string, endIso: string, timeZone: string): string {
  const start = localParts(startIso, timeZone);
  const end = localParts(endIso, timeZone);
  const endText = end.date === start.date ? end.time : `${end.date} ${end.time}`;
  return `${start.date} ${start.time} → ${endText} ${end.zone}`;
}

/** Seed 000's email body for an incident. */
export function incidentEmailText(n: Notification, incident: NotificationIncident, timeZone: string): string {
  const severity = incident.severity.toUpperCase();
  const heading = n.status === "resolved" ? `✅ RESOLVED ${severity} INCIDENT` : `${SEVERITY_EMOJI[incident.severity]} ${severity} INCIDENT`;
  const lines = [
    heading,
    "─".repeat(17),
    `Window: ${formatWindow(incident.windowStart, incident.windowEnd, timeZone)}`,
    "",
    `Summary: ${incident.summary}`,
    "",
    `Root Cause: ${incident.rootCause}`,
    "",
    "Immediate Actions:",
    ...incident.immediate.map((action) => `• ${action}`),
    "",
    `Anomalies: ${incident.anomalies} | Confidence: ${confidencePercent(incident.confidence)}%`,
  ];
  if (n.acknowledged) lines.push("", acknowledgedLine(n.acknowledged));
  if (incident.url !== undefined) lines.push("", `Details: ${incident.url}`);
  return lines.join("\n");
}

/** Seed 000's Slack lines for an incident (also the plain-text fallback of the chat formats). */
export function incidentChatLines(n: Notification, incident: NotificationIncident, timeZone: string): string[] {
  const emoji = n.status === "resolved" ? "✅" : SEVERITY_EMOJI[incident.severity];
  const lines = [
    `${emoji} ${incidentTitle(n, incident)}`,
    `📅 Window: ${formatWindow(incident.windowStart, incident.windowEnd, timeZone)}`,
    `📋 ${incident.summary}`,
    `🔍 Root Cause: ${incident.rootCause}`,
    `⚡ Actions: ${incident.immediate.join(", ")}`,
    `📊 Anomalies: ${incident.anomalies}`,
  ];
  if (n.acknowledged) lines.push(`👤 ${acknowledgedLine(n.acknowledged)}`);
  return lines;
}

export function acknowledgedLine(ack: { by: string; note: string | null }): string {
  return `Acknowledged by ${ack.by}${ack.note ? `: ${ack.note}` : ""}`;
}

function labelPairs(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}=${labels[name] ?? ""}`)
    .join(" ");
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** One alert as lines: its summary, labels, times, value when resolved, source. */
export function alertLines(alert: NotificationAlert, timeZone: string): string[] {
  const summary = alert.annotations.summary ?? alert.annotations.description ?? alert.labels.alertname ?? "alert";
  const lines = [`[${alert.status.toUpperCase()}] ${summary}`, `Labels: ${labelPairs(alert.labels)}`, `Started: ${formatTime(alert.startsAt, timeZone)}`];
  if (alert.status === "resolved") {
    lines.push(`Resolved: ${formatTime(alert.endsAt, timeZone)}`);
    if (alert.value !== undefined) lines.push(`Value: ${formatValue(alert.value)}`);
  }
  const description = alert.annotations.description;
  if (description !== undefined && description !== summary) lines.push(`Description: ${description}`);
  if (alert.generatorURL !== "") lines.push(`Source: ${alert.generatorURL}`);
  return lines;
}

/** Lines under an alert-group title: who acknowledged it, or that it is a test. */
export function alertIntroLines(n: Notification): string[] {
  const lines: string[] = [];
  if (n.acknowledged) lines.push(acknowledgedLine(n.acknowledged));
  if (n.kind === "test") lines.push("This is a test message from Auspex: the channel works.");
  return lines;
}

/** Each alert of the group as one paragraph. */
export function alertParagraphs(n: Notification, timeZone: string): string[] {
  return n.alerts.map((alert) => alertLines(alert, timeZone).join("\n"));
}

/** The body of an alert-group message: title, acknowledgement, then each alert. */
export function alertText(n: Notification, timeZone: string): string {
  return [[alertTitle(n), ...alertIntroLines(n)].join("\n"), ...alertParagraphs(n, timeZone)].join("\n\n");
}

/** The plain-text body in whichever format applies. */
export function plainText(n: Notification, timeZone: string): string {
  return n.incident ? incidentEmailText(n, n.incident, timeZone) : alertText(n, timeZone);
}

/** A link to look at: the incident's page, else the Alertmanager-style external URL. */
export function linkOf(n: Notification): string | undefined {
  const url = n.incident?.url ?? n.externalURL;
  return url === "" ? undefined : url;
}
