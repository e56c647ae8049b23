import {
  REQUIRED_SECRETS,
  type Channel,
  type ChannelInput,
  type ChannelType,
  type Delivery,
  type DeliveryStatus,
  type PutChannelsRequest,
  type TestNotificationResult,
} from "@auspex/shared/contracts/notifications.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { NotFoundError, ServiceError, ValidationError } from "#server/platform/errors.ts";
import type { ErrorDetail } from "@auspex/shared/contracts/errors.ts";
import { newId } from "#server/platform/ids.ts";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";
import { PAGERDUTY_EVENTS_URL, sendToChannel, type ChannelForSending, type SendContext } from "#server/modules/notifications/channel-sender.ts";
import type { ChannelRow, ChannelsRepository } from "#server/modules/notifications/channels.repository.ts";
import type { Notification } from "#server/modules/notifications/notification.types.ts";
import { ZERO_TIME } from "#server/modules/notifications/notification.types.ts";
import type { OutboxRepository, OutboxRow } from "#server/modules/notifications/outbox.repository.ts";
import type { SecretBox } from "#server/modules/notifications/secret-box.ts";

/** A stored channel as the worker needs it. */
export interface LoadedChannel {
  channel: ChannelForSending;
  enabled: boolean;
  sendResolved: boolean;
}

interface Deps {
  channels: ChannelsRepository;
  outbox: OutboxRepository;
  box: SecretBox;
  clock: Clock;
  policy: OutboundPolicy;
  resolve?: ResolveHost;
  /** Transport settings for a user's sends (time zone, timeouts, relay). */
  sendContext: (userId: string) => Promise<SendContext>;
  /** Where links in test messages point (AUSPEX_PUBLIC_URL). */
  publicUrl: string | undefined;
}

const EXCERPT = 500;
const secretContext = (row: Pick<ChannelRow, "user_id" | "id">) => `${row.user_id}:${row.id}`;

/** The user's channels: validated, secrets sealed, URLs checked against the outbound policy; test sends. */
export function createChannelsService(deps: Deps) {
  const { channels, outbox, box, clock } = deps;

  function openSecrets(row: ChannelRow): Record<string, string> {
    if (row.secrets === null) return {};
    return JSON.parse(box.open(row.secrets, secretContext(row))) as Record<string, string>;
  }

  /** The secrets, or none when they cannot be opened (sealed under another AUSPEX_SECRETS_KEY): the user enters them again. */
  function readableSecrets(row: ChannelRow): Record<string, string> {
    try {
      return openSecrets(row);
    } catch {
      return {};
    }
  }

  function toSending(row: ChannelRow): ChannelForSending {
    return { id: row.id, userId: row.user_id, name: row.name, type: row.type as ChannelType, config: JSON.parse(row.config) as Record<string, unknown>, secrets: openSecrets(row) };
  }

  function present(row: ChannelRow): Channel {
    const secrets = readableSecrets(row);
    const config = JSON.parse(row.config) as Record<string, unknown>;
    return {
      id: row.id,
      name: row.name,
      type: row.type as ChannelType,
      enabled: row.enabled === 1,
      send_resolved: row.send_resolved === 1,
      config,
      secrets_set: Object.keys(secrets).sort(),
      endpoint: endpointOf(row.type as ChannelType, config, secrets),
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  async function checkHost(url: string | undefined, host: string | undefined, field: string, problems: ErrorDetail[]): Promise<void> {
    const name = host ?? (url === undefined ? undefined : new URL(url).hostname);
    if (name === undefined) return;
    try {
      await checkOutboundAddress(deps.policy, name, deps.resolve === undefined ? {} : { resolve: deps.resolve });
    } catch (error) {
      if (error instanceof ServiceError && error.code === "validation_error") problems.push({ field, problem: error.message });
      else throw error;
    }
  }

  async function validate(input: ChannelInput, index: number, problems: ErrorDetail[]): Promise<void> {
    const at = `body.channels.${index}`;
    if (input.type === "webhook") await checkHost(input.config.url, undefined, `${at}.config.url`, problems);
    if (input.type === "pagerduty" && input.config.url !== undefined) await checkHost(input.config.url, undefined, `${at}.config.url`, problems);
    if (input.type === "email" && input.config.smtp_host !== undefined) await checkHost(undefined, input.config.smtp_host, `${at}.config.smtp_host`, problems);
    if ((input.type === "slack" || input.type === "msteams" || input.type === "discord") && typeof input.secrets?.webhook_url === "string") {
      await checkHost(input.secrets.webhook_url, undefined, `${at}.secrets.webhook_url`, problems);
    }
  }

  async function listChannels(actor: Actor): Promise<Channel[]> {
    return (await channels.listForUser(actor.userId)).map(present);
  }

  return {
    listChannels,

    /** Replaces the user's channel list: listed ids are changed, new entries created, the rest deleted. */
    async putChannels(actor: Actor, request: PutChannelsRequest): Promise<Channel[]> {
      const existing = new Map((await channels.listForUser(actor.userId)).map((row) => [row.id, row]));
      const problems: ErrorDetail[] = [];
      const names = new Map<string, number>();
      const ids = new Set<string>();
      for (const [index, input] of request.channels.entries()) {
        const at = `body.channels.${index}`;
        if (names.has(input.name)) problems.push({ field: `${at}.name`, problem: `is already used by channels[${names.get(input.name)}]` });
        names.set(input.name, index);
        if (input.id !== undefined) {
          if (!existing.has(input.id)) problems.push({ field: `${at}.id`, problem: "is not one of your channels (leave it out to create one)" });
          if (ids.has(input.id)) problems.push({ field: `${at}.id`, problem: "appears twice" });
          ids.add(input.id);
        }
        await validate(input, index, problems);
      }
      const now = clock.now().toISOString();
      const rows: ChannelRow[] = [];
      for (const [index, input] of request.channels.entries()) {
        const previous = input.id === undefined ? undefined : existing.get(input.id);
        const id = previous?.id ?? newId();
        // A channel that changes type keeps none of its old secrets.
        const secrets: Record<string, string> = previous && previous.type === input.type ? readableSecrets(previous) : {};
        for (const [name, value] of Object.entries(input.secrets ?? {})) {
          if (value === null) delete secrets[name];
          else if (typeof value === "string") secrets[name] = value;
        }
        for (const name of REQUIRED_SECRETS[input.type]) {
          if (secrets[name] === undefined) problems.push({ field: `body.channels.${index}.secrets.${name}`, problem: `is required for a ${input.type} channel` });
        }
        const row: ChannelRow = {
          id,
          user_id: actor.userId,
          name: input.name,
          type: input.type,
          enabled: input.enabled ? 1 : 0,
          send_resolved: input.send_resolved ? 1 : 0,
          config: JSON.stringify(input.config),
          secrets: null,
          created_at: previous?.created_at ?? now,
          updated_at: now,
        };
        row.secrets = Object.keys(secrets).length === 0 ? null : box.seal(JSON.stringify(secrets), secretContext(row));
        rows.push(row);
      }
      if (problems.length > 0) throw new ValidationError(problems);
      await channels.replaceForUser(actor.userId, rows);
      return listChannels(actor);
    },

    /** Sends a test message to one channel now (not through the outbox) and reports the remote's answer. */
    async testChannel(actor: Actor, channelId: string): Promise<TestNotificationResult> {
      const row = await channels.findForUser(actor.userId, channelId);
      if (!row) throw new NotFoundError("channel", channelId);
      const now = clock.now().toISOString();
      const notification = testNotification(row, now, deps.publicUrl);
      const context = await deps.sendContext(actor.userId);
      const started = performance.now();
      let channel: ChannelForSending;
      try {
        channel = toSending(row);
      } catch (error) {
        const problem = `cannot read the channel's secrets (was AUSPEX_SECRETS_KEY changed? enter them again): ${(error as Error).message}`;
        return { channel_id: row.id, ok: false, status_code: null, body_excerpt: null, error: problem, duration_ms: 0 };
      }
      const result = await sendToChannel(channel, notification, "trigger", `test-${newId()}`, context);
      // Close the PagerDuty incident the test opened (best effort; the answer reported is the trigger's).
      if (channel.type === "pagerduty" && result.outcome === "success") await sendToChannel(channel, { ...notification, status: "resolved" }, "resolve", `test-${newId()}`, context);
      return {
        channel_id: row.id,
        ok: result.outcome === "success",
        status_code: result.statusCode,
        body_excerpt: result.body === null ? null : result.body.slice(0, EXCERPT),
        error: result.error,
        duration_ms: Math.round(performance.now() - started),
      };
    },

    async listDeliveries(actor: Actor, query: { status?: DeliveryStatus; limit: number }): Promise<Delivery[]> {
      return (await outbox.listForUser(actor.userId, query)).map(presentDelivery);
    },

    /** The worker's view of a channel, or undefined when it no longer exists. */
    async loadChannel(userId: string, channelId: string): Promise<LoadedChannel | undefined> {
      const row = await channels.findForUser(userId, channelId);
      if (!row) return undefined;
      return { channel: toSending(row), enabled: row.enabled === 1, sendResolved: row.send_resolved === 1 };
    },
  };
}

export type ChannelsService = ReturnType<typeof createChannelsService>;

function origin(url: unknown): string | null {
  if (typeof url !== "string") return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

function endpointOf(type: ChannelType, config: Record<string, unknown>, secrets: Record<string, string>): string | null {
  switch (type) {
    case "webhook":
      return origin(config.url);
    case "pagerduty":
      return origin(config.url ?? PAGERDUTY_EVENTS_URL);
    case "email":
      if (typeof config.smtp_host !== "string") return "server relay (AUSPEX_SMTP_HOST)";
      return `smtp://${config.smtp_host}:${typeof config.smtp_port === "number" ? config.smtp_port : config.smtp_security === "tls" ? 465 : 587}`;
    default:
      return origin(secrets.webhook_url);
  }
}

function testNotification(row: ChannelRow, now: string, publicUrl: string | undefined): Notification {
  const labels = { alertname: "AuspexTestNotification", channel: row.name, severity: "info" };
  return {
    kind: "test",
    status: "firing",
    // Unique per test, so a PagerDuty test never touches an earlier test's incident.
    groupKey: `{}:{alertname="AuspexTestNotification",channel="${row.name}",test="${newId()}"}`,
    receiver: row.name,
    groupLabels: { alertname: "AuspexTestNotification" },
    commonLabels: labels,
    commonAnnotations: { summary: `Test notification for channel ${row.name}` },
    externalURL: publicUrl ?? "",
    alerts: [
      {
        status: "firing",
        labels,
        annotations: { summary: `Test notification for channel ${row.name}` },
        startsAt: now,
        endsAt: ZERO_TIME,
        generatorURL: "",
        fingerprint: "0000000000000000",
      },
    ],
  };
}

function presentDelivery(row: OutboxRow): Delivery {
  return {
    id: row.id,
    channel_id: row.channel_id,
    event: row.event as Delivery["event"],
    group_key: row.group_key,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    created_at: row.created_at,
    // A row not yet tried is due "at once" (stored as the epoch); show its creation time instead.
    next_attempt_at: row.status !== "pending" ? null : row.attempts === 0 ? row.created_at : row.next_attempt_at,
    delivered_at: row.delivered_at,
    last_error: row.last_error,
    last_status_code: row.last_status_code,
  };
}
