import { createHash } from "node:crypto";
import type { ChannelType } from "@auspex/shared/contracts/notifications.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";
import { discordPayload, emailMessage, pagerDutyPayload, slackPayload, teamsPayload, webhookPayload } from "#server/modules/notifications/channel-payloads.rules.ts";
import { sendEmail, type SmtpRelay, type SmtpSecurity } from "#server/modules/notifications/email-sender.ts";
import { postJson, type HttpAnswer } from "#server/modules/notifications/http-sender.ts";
import type { Notification, NotificationEvent } from "#server/modules/notifications/notification.types.ts";
import { classifyStatus } from "#server/modules/notifications/retry.rules.ts";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

/** A channel ready to send: config parsed, secrets opened. */
export interface ChannelForSending {
  id: string;
  userId: string;
  name: string;
  type: ChannelType;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface SendContext {
  policy: OutboundPolicy;
  resolve?: ResolveHost;
  timeoutMs: number;
  userAgent: string;
  relay: SmtpRelay | undefined;
  timeZone: string;
}

export interface SendResult {
  outcome: "success" | "retry" | "permanent";
  statusCode: number | null;
  body: string | null;
  error: string | null;
  retryAfter: string | undefined;
}

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** PagerDuty's dedup_key for an alert group: trigger, acknowledge and resolve share it (Alertmanager hashes the group key the same way). */
export function pagerDutyDedupKey(groupKey: string): string {
  return sha256(groupKey);
}

function fromHttp(answer: HttpAnswer): SendResult {
  if (answer.status === null) return { outcome: "retry", statusCode: null, body: null, error: answer.error, retryAfter: undefined };
  const outcome = classifyStatus(answer.status);
  return {
    outcome,
    statusCode: answer.status,
    body: answer.body,
    error: outcome === "success" ? null : `receiver answered HTTP ${answer.status}`,
    retryAfter: answer.retryAfter,
  };
}

const missing = (what: string): SendResult => ({ outcome: "permanent", statusCode: null, body: null, error: what, retryAfter: undefined });

/** Formats the notification for the channel's type and sends it once. */
export async function sendToChannel(channel: ChannelForSending, n: Notification, event: NotificationEvent, idempotencyKey: string, ctx: SendContext): Promise<SendResult> {
  const http = { policy: ctx.policy, timeoutMs: ctx.timeoutMs, userAgent: ctx.userAgent, ...(ctx.resolve && { resolve: ctx.resolve }) };
  const headers = { "x-auspex-idempotency-key": idempotencyKey, "x-auspex-event": event };
  const { config, secrets } = channel;
  switch (channel.type) {
    case "webhook": {
      const auth: Record<string, string> = secrets.bearer_token === undefined ? {} : { authorization: `Bearer ${secrets.bearer_token}` };
      return fromHttp(await postJson(String(config.url), webhookPayload(n, Number(config.max_alerts ?? 0)), { ...headers, ...auth }, http));
    }
    case "slack":
    case "msteams":
    case "discord": {
      const url = secrets.webhook_url;
      if (url === undefined) return missing("the channel has no webhook_url");
      const payload = channel.type === "slack" ? slackPayload(n, ctx.timeZone) : channel.type === "msteams" ? teamsPayload(n, ctx.timeZone) : discordPayload(n, ctx.timeZone);
      return fromHttp(await postJson(url, payload, headers, http));
    }
    case "pagerduty": {
      const routingKey = secrets.routing_key;
      if (routingKey === undefined) return missing("the channel has no routing_key");
      const severity = config.severity as "critical" | "error" | "warning" | "info" | undefined;
      const payload = pagerDutyPayload(n, event, { routingKey, dedupKey: pagerDutyDedupKey(n.groupKey), source: n.externalURL === "" ? "auspex" : n.externalURL, ...(severity && { severity }) }, ctx.timeZone);
      return fromHttp(await postJson(typeof config.url === "string" ? config.url : PAGERDUTY_EVENTS_URL, payload, headers, http));
    }
    case "email": {
      const host = config.smtp_host as string | undefined;
      const relay = ctx.relay;
      const security = (config.smtp_security as SmtpSecurity | undefined) ?? (host === undefined ? relay?.security : undefined) ?? "starttls";
      const server =
        host !== undefined
          ? {
              host,
              port: (config.smtp_port as number | undefined) ?? (security === "tls" ? 465 : 587),
              security,
              username: config.smtp_username as string | undefined,
              password: secrets.smtp_password,
              checked: true,
            }
          : relay === undefined
            ? undefined
            : { host: relay.host, port: relay.port, security: relay.security, username: relay.username, password: relay.password, checked: false };
      if (server === undefined) return missing("no SMTP server: set the channel's smtp_host or the server-wide AUSPEX_SMTP_HOST");
      const from = (config.from as string | undefined) ?? relay?.from ?? "auspex@localhost";
      const messageId = `<${sha256(`${channel.userId}\n${channel.id}\n${idempotencyKey}`).slice(0, 40)}@auspex>`;
      const answer = await sendEmail(server, { from, to: config.to as string[], messageId }, emailMessage(n, ctx.timeZone), { policy: ctx.policy, timeoutMs: ctx.timeoutMs, ...(ctx.resolve && { resolve: ctx.resolve }) });
      if (answer.error === null) return { outcome: "success", statusCode: answer.status, body: answer.body, error: null, retryAfter: undefined };
      return { outcome: answer.permanent ? "permanent" : "retry", statusCode: answer.status, body: answer.body, error: answer.error, retryAfter: undefined };
    }
  }
}
