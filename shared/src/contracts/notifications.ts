import { z } from "zod";

/*
 * Notification channels (issue 7): per-user email, Slack, PagerDuty, generic webhook
 * (Alertmanager webhook v4), Microsoft Teams and Discord. Secrets are write-only: a request
 * may set or clear them, a response only says which are set.
 */

export const CHANNEL_TYPES = ["email", "slack", "pagerduty", "webhook", "msteams", "discord"] as const;
export const ChannelType = z.enum(CHANNEL_TYPES);
export type ChannelType = z.infer<typeof ChannelType>;

/** The authority of an absolute URL ("user:pw@host:port"), or undefined when the text is not one. */
function authorityOf(value: string): string | undefined {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(value)?.[1];
}

export const HttpUrl = z
  .url({ protocol: /^https?$/, message: "must be an absolute http:// or https:// URL such as https://hooks.example.com/path" })
  .max(2048, "must be at most 2,048 characters")
  .refine((value) => !(authorityOf(value) ?? "").includes("@"), { message: "must not carry credentials (user:password@); use the channel's secrets" })
  .describe("An http:// or https:// URL without credentials");

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]+\]?$/;

/** A secret value: a string to set it, null to clear it, absent to keep the stored one. */
const secret = (max = 4096) => z.string().min(1, "must not be empty").max(max).nullable().optional();

const EmailAddress = z.email({ message: "must be an email address" }).max(320);
const SenderAddress = z
  .string()
  .max(400)
  .regex(/^([^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, "must be an address or 'Name <address>'");

export const EmailConfig = z.strictObject({
  to: z.array(EmailAddress).min(1, "must name at least one recipient").max(50),
  from: SenderAddress.optional().describe("Sender; default AUSPEX_SMTP_FROM"),
  smtp_host: z.string().regex(HOSTNAME, "must be a host name or IP address").max(253).optional().describe("SMTP server; default the server-wide relay (AUSPEX_SMTP_HOST)"),
  smtp_port: z.number().int().min(1).max(65535).optional().describe("Default 587 (465 with smtp_security=tls)"),
  smtp_security: z.enum(["starttls", "tls", "none"]).optional().describe("starttls (default): upgrade on port 587; tls: implicit TLS (465); none: plain (local relays only)"),
  smtp_username: z.string().min(1).max(320).optional(),
});
export const EmailSecrets = z.strictObject({ smtp_password: secret() });

export const SlackConfig = z.strictObject({});
export const WebhookUrlSecrets = z.strictObject({ webhook_url: HttpUrl.nullable().optional() });

export const PagerDutyConfig = z.strictObject({
  url: HttpUrl.optional().describe("Events API v2 endpoint; default https://events.pagerduty.com/v2/enqueue"),
  severity: z.enum(["critical", "error", "warning", "info"]).optional().describe("Severity of triggers; default from the alert (severity label or incident severity)"),
});
export const PagerDutySecrets = z.strictObject({ routing_key: secret(256) });

export const WebhookConfig = z.strictObject({
  url: HttpUrl,
  max_alerts: z.number().int().min(0).max(10_000).optional().describe("Most alerts per message (0: all); the rest are counted in truncatedAlerts"),
});
export const WebhookSecrets = z.strictObject({ bearer_token: secret().describe("Sent as Authorization: Bearer <token>") });

const channelCommon = {
  id: z.string().min(1).max(64).optional().describe("An existing channel's id to change it; absent to create one"),
  name: z.string().trim().min(1, "must not be empty").max(100),
  enabled: z.boolean().default(true),
  send_resolved: z.boolean().default(true).describe("Also notify when alerts resolve"),
};

export const ChannelInput = z.discriminatedUnion("type", [
  z.strictObject({ ...channelCommon, type: z.literal("email"), config: EmailConfig, secrets: EmailSecrets.optional() }),
  z.strictObject({ ...channelCommon, type: z.literal("slack"), config: SlackConfig.default({}), secrets: WebhookUrlSecrets.optional() }),
  z.strictObject({ ...channelCommon, type: z.literal("pagerduty"), config: PagerDutyConfig.default({}), secrets: PagerDutySecrets.optional() }),
  z.strictObject({ ...channelCommon, type: z.literal("webhook"), config: WebhookConfig, secrets: WebhookSecrets.optional() }),
  z.strictObject({ ...channelCommon, type: z.literal("msteams"), config: SlackConfig.default({}), secrets: WebhookUrlSecrets.optional() }),
  z.strictObject({ ...channelCommon, type: z.literal("discord"), config: SlackConfig.default({}), secrets: WebhookUrlSecrets.optional() }),
]);
export type ChannelInput = z.infer<typeof ChannelInput>;

/** The secrets each type needs before it can send. */
export const REQUIRED_SECRETS: Readonly<Record<ChannelType, readonly string[]>> = {
  email: [],
  slack: ["webhook_url"],
  pagerduty: ["routing_key"],
  webhook: [],
  msteams: ["webhook_url"],
  discord: ["webhook_url"],
};

export const PutChannelsRequest = z
  .strictObject({ channels: z.array(ChannelInput).max(50, "at most 50 channels") })
  .describe("The user's complete channel list: channels left out are deleted; secrets not given are kept")
  .meta({
    examples: [
      {
        channels: [
          { name: "ops-slack", type: "slack", send_resolved: true, config: {}, secrets: { webhook_url: "https://hooks.slack.com/services/T000/B000/XXXX" } },
          { name: "on-call", type: "pagerduty", config: {}, secrets: { routing_key: "R0UT1NGKEY" } },
        ],
      },
    ],
  });
export type PutChannelsRequest = z.infer<typeof PutChannelsRequest>;

export const Channel = z.object({
  id: z.string(),
  name: z.string(),
  type: ChannelType,
  enabled: z.boolean(),
  send_resolved: z.boolean(),
  config: z.record(z.string(), z.unknown()).describe("The type's non-secret settings"),
  secrets_set: z.array(z.string()).describe("Names of the secrets that are stored (values are never returned)"),
  endpoint: z.string().nullable().describe("Where messages go, without secrets: a URL's origin or the SMTP server"),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Channel = z.infer<typeof Channel>;

export const ChannelList = z.object({ channels: z.array(Channel) });
export type ChannelList = z.infer<typeof ChannelList>;

export const TestNotificationRequest = z
  .strictObject({ channel_id: z.string().min(1).max(64) })
  .meta({ examples: [{ channel_id: "0194f8f0-0000-7000-8000-000000000000" }] });
export type TestNotificationRequest = z.infer<typeof TestNotificationRequest>;

export const TestNotificationResult = z.object({
  channel_id: z.string(),
  ok: z.boolean(),
  status_code: z.number().int().nullable().describe("The remote's HTTP status (250 for an accepted email), null when no answer came"),
  body_excerpt: z.string().nullable().describe("The first 500 characters of the remote's answer"),
  error: z.string().nullable().describe("Why it failed: the connection error or the refused status"),
  duration_ms: z.number(),
});
export type TestNotificationResult = z.infer<typeof TestNotificationResult>;

export const DeliveryStatus = z.enum(["pending", "sending", "delivered", "failed", "dropped"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const Delivery = z.object({
  id: z.string(),
  channel_id: z.string(),
  event: z.enum(["trigger", "acknowledge", "resolve"]),
  group_key: z.string(),
  status: DeliveryStatus,
  attempts: z.number().int(),
  created_at: z.string(),
  next_attempt_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  last_error: z.string().nullable(),
  last_status_code: z.number().int().nullable(),
});
export type Delivery = z.infer<typeof Delivery>;

export const DeliveryQuery = z.strictObject({
  status: DeliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export const DeliveryList = z.object({ deliveries: z.array(Delivery) });
export type DeliveryList = z.infer<typeof DeliveryList>;
