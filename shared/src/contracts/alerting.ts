import { z } from "zod";
import { Timestamp } from "./auth.ts";
import { LimitParam, TimeParam } from "./params.ts";

/** A duration as Prometheus writes one: 30s, 5m, 4h, 1d, 1h30m. */
export const DurationText = z
  .string()
  .regex(/^(0|(\d+(ms|s|m|h|d|w|y))+)$/, "must be a duration such as 30s, 5m or 4h")
  .describe("A duration such as 30s, 5m, 4h");

const MATCHER = /^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*("((?:[^"\\]|\\.)*)"|[^\s"]*)\s*$/;
export const MatcherText = z
  .string()
  .max(1000)
  .regex(MATCHER, 'must be a matcher such as severity="critical" or instance=~"web-.*"')
  .describe('Alertmanager matcher syntax: severity="critical", instance=~"web-.*", env!=prod');

export interface RouteInput {
  receivers?: string[] | undefined;
  matchers?: string[] | undefined;
  group_by?: string[] | undefined;
  group_wait?: string | undefined;
  group_interval?: string | undefined;
  repeat_interval?: string | undefined;
  continue?: boolean | undefined;
  flap_damping?: string | undefined;
  cooldown?: string | undefined;
  escalation?: { after: string; receivers: string[] } | null | undefined;
  routes?: RouteInput[] | undefined;
}

/** A node of the routing tree: matchers → channels, with Alertmanager's grouping settings (inherited when unset). */
export const Route: z.ZodType<RouteInput> = z.lazy(() =>
  z.strictObject({
    receivers: z.array(z.string().min(1).max(100)).max(20).optional().describe('Channel ids; "*" is every channel of the user'),
    matchers: z.array(MatcherText).max(50).optional(),
    group_by: z.array(z.string().min(1).max(100)).max(30).optional().describe('Labels that split notifications into groups; ["..."] groups by every label'),
    group_wait: DurationText.optional().describe("Wait before the first notification of a new group (default 30s)"),
    group_interval: DurationText.optional().describe("Wait before notifying a group again about changes (default 5m)"),
    repeat_interval: DurationText.optional().describe("Wait before repeating an unchanged, unacknowledged notification (default 4h)"),
    continue: z.boolean().optional().describe("Keep matching sibling routes after this one matched"),
    flap_damping: DurationText.optional().describe("Notify an alert only once it has been firing this long (0 = at once)"),
    cooldown: DurationText.optional().describe("After an alert was notified, a new firing of it is held back this long (seed 004)"),
    escalation: z
      .strictObject({ after: DurationText, receivers: z.array(z.string().min(1).max(100)).min(1).max(20) })
      .nullable()
      .optional()
      .describe("Unacknowledged this long after the first notification: notify these channels too"),
    routes: z.array(Route).max(50).optional(),
  }),
);

export const InhibitRule = z.strictObject({
  source_matchers: z.array(MatcherText).min(1).max(50),
  target_matchers: z.array(MatcherText).min(1).max(50),
  equal: z.array(z.string().min(1).max(100)).max(30).default([]),
});

export const AlertingConfig = z
  .strictObject({
    route: Route.describe("The root route (the default route): every alert enters here"),
    inhibit_rules: z.array(InhibitRule).max(100).default([]),
    anomaly_alerts: z
      .strictObject({ enabled: z.boolean().default(false), min_score: z.number().min(1).max(1000).default(3) })
      .default({ enabled: false, min_score: 3 })
      .describe("Alerts from anomalies (opt-in): those whose score reaches min_score"),
    incident_alerts: z
      .strictObject({ enabled: z.boolean().default(true), min_severity: z.enum(["low", "medium", "high", "critical"]).default("medium") })
      .default({ enabled: true, min_severity: "medium" })
      .describe("Alerts from incidents of at least this severity"),
  })
  .meta({
    id: "AlertingConfig",
    examples: [
      {
        route: {
          receivers: ["*"],
          group_by: ["alertname", "instance"],
          group_wait: "30s",
          group_interval: "5m",
          repeat_interval: "4h",
          routes: [{ matchers: ['severity="critical"'], receivers: ["*"], group_wait: "10s", escalation: null }],
        },
        inhibit_rules: [{ source_matchers: ['alertname="TargetDown"'], target_matchers: ['severity="warning"'], equal: ["instance"] }],
        anomaly_alerts: { enabled: false, min_score: 3 },
        incident_alerts: { enabled: true, min_severity: "medium" },
      },
    ],
  });
export type AlertingConfig = z.infer<typeof AlertingConfig>;

export const AlertingConfigResponse = AlertingConfig.extend({ updated_at: Timestamp.nullable() });

export const AlertState = z.enum(["pending", "firing", "resolved"]);

export const Alert = z
  .object({
    id: z.string().describe("The alert's fingerprint"),
    fingerprint: z.string(),
    source: z.enum(["rule", "anomaly", "incident", "external"]),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
    state: AlertState,
    starts_at: Timestamp,
    ends_at: Timestamp.nullable(),
    value: z.number().nullable().describe("The latest value (for a resolved alert, the value when it resolved)"),
    generator_url: z.string().nullable(),
    silenced_by: z.array(z.string()).describe("Ids of the silences and maintenance windows muting it"),
    inhibited_by: z.array(z.string()).describe("Fingerprints of the alerts inhibiting it"),
    acknowledged: z.object({ at: Timestamp, note: z.string().nullable() }).nullable(),
    updated_at: Timestamp,
  })
  .meta({ id: "Alert" });
export type Alert = z.infer<typeof Alert>;


export const AlertFilters = z.strictObject({
  state: AlertState.optional(),
  source: z.enum(["rule", "anomaly", "incident", "external"]).optional(),
  silenced: z.enum(["true", "false"]).optional().describe("Only muted (true) or unmuted (false) alerts"),
  filter: z.array(MatcherText).or(MatcherText.transform((m) => [m])).optional().describe("Matchers on the alert's labels"),
  limit: LimitParam.optional().describe("Default 500"),
});
export type AlertFilters = z.infer<typeof AlertFilters>;

export const AlertList = z.object({ alerts: z.array(Alert) });

export const AcknowledgeAlertRequest = z
  .strictObject({ note: z.string().max(2000, "must be at most 2,000 characters").optional() })
  .meta({ examples: [{ note: "known: disk cleanup running" }] });

export const AlertHistoryEntry = z
  .object({
    at: Timestamp,
    fingerprint: z.string(),
    alertname: z.string(),
    labels: z.record(z.string(), z.string()),
    event: z.enum(["pending", "firing", "resolved", "notified", "escalated", "acknowledged", "silenced", "inhibited", "delivery_failed"]),
    detail: z.string(),
    value: z.number().nullable(),
  })
  .meta({ id: "AlertHistoryEntry" });

export const AlertHistoryFilters = z
  .strictObject({
    from: TimeParam.optional(),
    to: TimeParam.optional(),
    fingerprint: z.string().min(1).max(64).optional(),
    alertname: z.string().min(1).max(200).optional(),
    limit: LimitParam.optional().describe("Default 500"),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, { path: ["to"], message: "must not be before from" });
export type AlertHistoryFilters = z.infer<typeof AlertHistoryFilters>;

export const AlertHistory = z.object({ history: z.array(AlertHistoryEntry) });

export const Silence = z
  .object({
    id: z.string(),
    matchers: z.array(z.string()),
    starts_at: Timestamp,
    ends_at: Timestamp,
    created_by: z.string(),
    comment: z.string(),
    status: z.enum(["pending", "active", "expired"]),
    created_at: Timestamp,
  })
  .meta({ id: "Silence" });
export type Silence = z.infer<typeof Silence>;

export const CreateSilenceRequest = z
  .strictObject({
    matchers: z.array(MatcherText).min(1, "must have at least one matcher").max(50),
    starts_at: z.iso.datetime({ offset: true, error: "must be an RFC 3339 time" }).optional().describe("Default now"),
    ends_at: z.iso.datetime({ offset: true, error: "must be an RFC 3339 time" }),
    created_by: z.string().min(1).max(200).optional().describe("Default the user's name"),
    comment: z.string().min(1, "must say why").max(2000),
  })
  .refine((s) => s.starts_at === undefined || Date.parse(s.ends_at) > Date.parse(s.starts_at), { path: ["ends_at"], message: "must be after starts_at" })
  .meta({ examples: [{ matchers: ['instance="web-1:9100"'], ends_at: "2030-01-01T02:00:00Z", comment: "kernel upgrade" }] });
export type CreateSilenceRequest = z.infer<typeof CreateSilenceRequest>;

export const SilenceList = z.object({ silences: z.array(Silence) });

/** A recurring mute: every week on these days from `start` (HH:MM, in `time_zone`) for `duration`. */
export const MaintenanceWindow = z
  .object({
    id: z.string(),
    name: z.string(),
    matchers: z.array(z.string()),
    days: z.array(z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])),
    start: z.string(),
    duration: z.string(),
    time_zone: z.string(),
    active: z.boolean().describe("Inside a window right now"),
    created_at: Timestamp,
  })
  .meta({ id: "MaintenanceWindow" });
export type MaintenanceWindow = z.infer<typeof MaintenanceWindow>;

export const CreateMaintenanceWindowRequest = z
  .strictObject({
    name: z.string().min(1).max(200),
    matchers: z.array(MatcherText).min(1, "must have at least one matcher").max(50),
    days: z.array(z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])).min(1, "must name at least one day").max(7),
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24 h)"),
    duration: DurationText,
    time_zone: z
      .string()
      .default("UTC")
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en-US", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, "must be an IANA time zone such as Europe/Berlin"),
  })
  .meta({ examples: [{ name: "Sunday patching", matchers: ['job="node"'], days: ["sun"], start: "02:00", duration: "2h", time_zone: "Europe/Berlin" }] });
export type CreateMaintenanceWindowRequest = z.infer<typeof CreateMaintenanceWindowRequest>;

export const MaintenanceWindowList = z.object({ windows: z.array(MaintenanceWindow) });

/** One alert as Prometheus posts it to Alertmanager's /api/v2/alerts. */
const PostedAlert = z.strictObject({
  labels: z.record(z.string(), z.string()).refine((l) => typeof l.alertname === "string" && l.alertname.length > 0, "must include alertname"),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.iso.datetime({ offset: true }).optional(),
  endsAt: z.iso.datetime({ offset: true }).optional(),
  generatorURL: z.string().max(2000).optional(),
});

/** Alertmanager's webhook (version 4), as an existing Alertmanager sends it. */
const WebhookV4 = z.looseObject({
  version: z.literal("4"),
  status: z.enum(["firing", "resolved"]),
  alerts: z
    .array(
      z.looseObject({
        status: z.enum(["firing", "resolved"]),
        labels: z.record(z.string(), z.string()),
        annotations: z.record(z.string(), z.string()).default({}),
        startsAt: z.string(),
        endsAt: z.string(),
        generatorURL: z.string().optional(),
      }),
    )
    .max(10_000),
});

export const ExternalAlertsRequest = z
  .union([WebhookV4, z.array(PostedAlert).max(10_000)])
  .describe("An Alertmanager webhook (version 4) payload, or an array of alerts as Prometheus posts them to /api/v2/alerts")
  .meta({ examples: [[{ labels: { alertname: "DiskFull", instance: "web-1:9100", severity: "critical" }, annotations: { summary: "disk full" } }]] });
export type ExternalAlertsRequest = z.infer<typeof ExternalAlertsRequest>;

export const ExternalAlertsResponse = z.object({ accepted: z.number().int() });
