import {
  alertIntroLines,
  alertParagraphs,
  alertText,
  confidencePercent,
  firingCount,
  incidentChatLines,
  linkOf,
  plainText,
  titleOf,
  truncate,
} from "#server/modules/notifications/message-text.rules.ts";
import type { Notification, NotificationEvent } from "#server/modules/notifications/notification.types.ts";

/*
 * Notification → each channel's payload. Pure: the senders add transport, secrets and headers.
 */

// ------------------------------------------------------------------ generic webhook

/** Alertmanager's webhook payload, version 4, field for field (alertmanager notify/webhook Message). */
export interface AlertmanagerWebhookPayload {
  receiver: string;
  status: "firing" | "resolved";
  alerts: Array<{
    status: "firing" | "resolved";
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }>;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
}

/** `maxAlerts` 0 sends every alert; otherwise the rest are counted in truncatedAlerts, as Alertmanager's max_alerts does. */
export function webhookPayload(n: Notification, maxAlerts = 0): AlertmanagerWebhookPayload {
  const kept = maxAlerts > 0 ? n.alerts.slice(0, maxAlerts) : n.alerts;
  return {
    receiver: n.receiver,
    status: n.status,
    alerts: kept.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt,
      generatorURL: a.generatorURL,
      fingerprint: a.fingerprint,
    })),
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    commonAnnotations: n.commonAnnotations,
    externalURL: n.externalURL,
    version: "4",
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
  };
}

// ------------------------------------------------------------------ email

export interface EmailMessage {
  subject: string;
  text: string;
}

export function emailMessage(n: Notification, timeZone: string): EmailMessage {
  const link = linkOf(n);
  const text = plainText(n, timeZone);
  // An incident's text carries its own link (Details: …); an alert group's gets the external URL.
  return { subject: truncate(titleOf(n), 250), text: link !== undefined && n.incident === undefined ? `${text}\n\n${link}` : text };
}

// ------------------------------------------------------------------ Slack (Block Kit)

/** Slack's mrkdwn needs &, < and > escaped. */
function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

export function slackPayload(n: Notification, timeZone: string): Record<string, unknown> {
  const link = linkOf(n);
  const linkBlock = link === undefined ? [] : [{ type: "context", elements: [{ type: "mrkdwn", text: `<${link}|${n.incident ? "Open incident in Auspex" : "Open in Auspex"}>` }] }];
  if (n.incident) {
    const lines = incidentChatLines(n, n.incident, timeZone);
    const [first = "", ...rest] = lines.map(slackEscape);
    return {
      text: lines.join("\n"),
      blocks: [{ type: "section", text: { type: "mrkdwn", text: truncate([`*${first}*`, ...rest].join("\n"), 3000) } }, ...linkBlock],
    };
  }
  const title = titleOf(n);
  const intro = alertIntroLines(n).join("\n");
  const body = alertParagraphs(n, timeZone).join("\n\n");
  const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text: truncate(slackEscape(text), 3000) } });
  return {
    text: title,
    blocks: [
      { type: "header", text: { type: "plain_text", text: truncate(title, 150), emoji: true } },
      ...(intro === "" ? [] : [section(intro)]),
      ...(body === "" ? [] : [section(body)]),
      ...linkBlock,
    ],
  };
}

// ------------------------------------------------------------------ PagerDuty Events API v2

const PD_SEVERITY: Readonly<Record<string, "critical" | "error" | "warning" | "info">> = {
  critical: "critical",
  high: "error",
  page: "error",
  error: "error",
  medium: "warning",
  warning: "warning",
  low: "info",
  info: "info",
};

export function pagerDutySeverity(n: Notification, configured?: "critical" | "error" | "warning" | "info"): "critical" | "error" | "warning" | "info" {
  if (configured !== undefined) return configured;
  const from = n.incident?.severity ?? n.commonLabels.severity;
  return (from !== undefined ? PD_SEVERITY[from.toLowerCase()] : undefined) ?? "error";
}

export interface PagerDutyOptions {
  routingKey: string;
  /** The same for trigger, acknowledge and resolve of one alert group (PagerDuty correlates by it). */
  dedupKey: string;
  severity?: "critical" | "error" | "warning" | "info";
  source: string;
}

export function pagerDutyPayload(n: Notification, event: NotificationEvent, options: PagerDutyOptions, timeZone: string): Record<string, unknown> {
  const base = { routing_key: options.routingKey, event_action: event, dedup_key: options.dedupKey };
  if (event !== "trigger") return base;
  const link = linkOf(n);
  const details: Record<string, unknown> = n.incident
    ? {
        summary: n.incident.summary,
        root_cause: n.incident.rootCause,
        immediate_actions: n.incident.immediate,
        anomalies: n.incident.anomalies,
        confidence: `${confidencePercent(n.incident.confidence)}%`,
        window: `${n.incident.windowStart} → ${n.incident.windowEnd}`,
      }
    : { firing: alertText(n, timeZone), num_firing: firingCount(n), num_resolved: n.alerts.length - firingCount(n) };
  return {
    ...base,
    payload: {
      summary: truncate(titleOf(n), 1024),
      source: options.source,
      severity: pagerDutySeverity(n, options.severity),
      timestamp: n.alerts[0]?.startsAt ?? n.incident?.windowStart,
      ...(n.commonLabels.instance !== undefined && { component: n.commonLabels.instance }),
      ...(n.commonLabels.job !== undefined && { group: n.commonLabels.job }),
      ...(n.commonLabels.alertname !== undefined && { class: n.commonLabels.alertname }),
      custom_details: details,
    },
    client: "Auspex",
    ...(link !== undefined && { client_url: link, links: [{ href: link, text: n.incident ? "Incident in Auspex" : "Auspex" }] }),
  };
}

// ------------------------------------------------------------------ Microsoft Teams (Adaptive Card)

export function teamsPayload(n: Notification, timeZone: string): Record<string, unknown> {
  const lines = n.incident ? incidentChatLines(n, n.incident, timeZone).slice(1) : [...alertIntroLines(n), ...alertParagraphs(n, timeZone).flatMap((p) => p.split("\n"))];
  const link = linkOf(n);
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          msteams: { width: "Full" },
          body: [
            { type: "TextBlock", text: truncate(titleOf(n), 400), weight: "Bolder", size: "Medium", wrap: true, color: n.status === "resolved" ? "Good" : "Attention" },
            ...lines.slice(0, 60).map((line) => ({ type: "TextBlock", text: line, wrap: true, spacing: "Small" })),
          ],
          ...(link !== undefined && { actions: [{ type: "Action.OpenUrl", title: n.incident ? "Open incident" : "Open Auspex", url: link }] }),
        },
      },
    ],
  };
}

// ------------------------------------------------------------------ Discord

const DISCORD_COLOR = { firing: 0x992d22, resolved: 0x2ecc71, acknowledged: 0xf1c40f } as const;

export function discordPayload(n: Notification, timeZone: string): Record<string, unknown> {
  const description = n.incident ? incidentChatLines(n, n.incident, timeZone).slice(1).join("\n") : [alertIntroLines(n).join("\n"), ...alertParagraphs(n, timeZone)].filter((p) => p !== "").join("\n\n");
  const link = linkOf(n);
  const color = n.status === "resolved" ? DISCORD_COLOR.resolved : n.acknowledged ? DISCORD_COLOR.acknowledged : DISCORD_COLOR.firing;
  return {
    username: "Auspex",
    embeds: [
      {
        title: truncate(titleOf(n), 256),
        description: truncate(description, 4096),
        color,
        ...(link !== undefined && /^https?:\/\//.test(link) && { url: link }),
      },
    ],
    allowed_mentions: { parse: [] },
  };
}
