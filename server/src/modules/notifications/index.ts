import type { Clock } from "#server/platform/clock.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";
import type { Db } from "#server/storage/database.ts";
import type { SendContext } from "#server/modules/notifications/channel-sender.ts";
import { createChannelsRepository } from "#server/modules/notifications/channels.repository.ts";
import { createChannelsService, type ChannelsService } from "#server/modules/notifications/channels.service.ts";
import { createDeliveryWorker, type DeliveryWorkerDeps, type WorkerTimers } from "#server/modules/notifications/delivery-worker.ts";
import { usableTimeZone } from "#server/modules/notifications/message-text.rules.ts";
import type { OutboxItem } from "#server/modules/notifications/notification.types.ts";
import { enqueueNotifications } from "#server/modules/notifications/outbox.ts";
import { createOutboxRepository } from "#server/modules/notifications/outbox.repository.ts";
import { createSecretBox } from "#server/modules/notifications/secret-box.ts";
import type { SmtpRelay } from "#server/modules/notifications/email-sender.ts";

export type {
  AlertStatus,
  Notification,
  NotificationAlert,
  NotificationEvent,
  NotificationIncident,
  OutboxItem,
} from "#server/modules/notifications/notification.types.ts";
export { ZERO_TIME } from "#server/modules/notifications/notification.types.ts";
export { enqueueNotifications } from "#server/modules/notifications/outbox.ts";
export { loadOrCreateSecretsKey } from "#server/modules/notifications/secret-box.ts";
export type { ChannelsService } from "#server/modules/notifications/channels.service.ts";
export type { DeliveryWorker, WorkerTimers } from "#server/modules/notifications/delivery-worker.ts";
export type { SmtpRelay } from "#server/modules/notifications/email-sender.ts";
export { alertTitle, titleOf } from "#server/modules/notifications/message-text.rules.ts";
export { discordPayload, emailMessage, pagerDutyPayload, slackPayload, teamsPayload, webhookPayload } from "#server/modules/notifications/channel-payloads.rules.ts";
export { pagerDutyDedupKey } from "#server/modules/notifications/channel-sender.ts";

export interface NotificationsSettings {
  timeoutMs: number;
  giveUpAfterMs: number;
  backoff: { baseMs: number; maxMs: number };
  pollIntervalMs: number;
  /** The server-wide SMTP relay, if configured. */
  smtp: SmtpRelay | undefined;
}

export interface NotificationsModuleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  outbound: OutboundPolicy;
  /** Name resolution for the outbound checks (tests pass a fake). */
  resolve?: ResolveHost;
  /** AUSPEX_SECRETS_KEY or the generated key (loadOrCreateSecretsKey). */
  secretsKey: string;
  settings: NotificationsSettings;
  userAgent: string;
  /** AUSPEX_PUBLIC_URL: links in test messages. */
  publicUrl?: string;
  timers?: WorkerTimers;
  random?: () => number;
  /** Test hooks of the worker. */
  send?: DeliveryWorkerDeps["send"];
  afterSend?: DeliveryWorkerDeps["afterSend"];
  /** Told when a message is given up (the alerting pipeline records it in the alerts' history). */
  onDeliveryFailed?: DeliveryWorkerDeps["onFailed"];
}

/** Channels (per user, secrets sealed), the outbox and its delivery worker. */
export function createNotificationsModule(deps: NotificationsModuleDeps) {
  const channelsRepo = createChannelsRepository(deps.db);
  const outbox = createOutboxRepository(deps.db);
  const sendContext = async (userId: string): Promise<SendContext> => ({
    policy: deps.outbound,
    ...(deps.resolve && { resolve: deps.resolve }),
    timeoutMs: deps.settings.timeoutMs,
    userAgent: deps.userAgent,
    relay: deps.settings.smtp,
    timeZone: usableTimeZone(await channelsRepo.timeZoneOf(userId)),
  });
  const channels = createChannelsService({
    channels: channelsRepo,
    outbox,
    box: createSecretBox(deps.secretsKey),
    clock: deps.clock,
    policy: deps.outbound,
    ...(deps.resolve && { resolve: deps.resolve }),
    sendContext,
    publicUrl: deps.publicUrl,
  });
  const worker = createDeliveryWorker({
    outbox,
    loadChannel: (userId, channelId) => channels.loadChannel(userId, channelId),
    sendContext,
    clock: deps.clock,
    logger: deps.logger,
    metrics: deps.metrics,
    settings: {
      timeoutMs: deps.settings.timeoutMs,
      giveUpAfterMs: deps.settings.giveUpAfterMs,
      backoff: deps.settings.backoff,
      pollIntervalMs: deps.settings.pollIntervalMs,
      // Long enough for the slowest send (SMTP has three timeouts in a row) before anyone sends it again.
      leaseMs: deps.settings.timeoutMs * 4 + 5000,
      concurrency: 8,
    },
    ...(deps.timers && { timers: deps.timers }),
    ...(deps.random && { random: deps.random }),
    ...(deps.send && { send: deps.send }),
    ...(deps.afterSend && { afterSend: deps.afterSend }),
    ...(deps.onDeliveryFailed && { onFailed: deps.onDeliveryFailed }),
  });
  return {
    listChannels: (...args: Parameters<ChannelsService["listChannels"]>) => channels.listChannels(...args),
    putChannels: (...args: Parameters<ChannelsService["putChannels"]>) => channels.putChannels(...args),
    testChannel: (...args: Parameters<ChannelsService["testChannel"]>) => channels.testChannel(...args),
    listDeliveries: (...args: Parameters<ChannelsService["listDeliveries"]>) => channels.listDeliveries(...args),
    /** enqueueNotifications with this module's clock for created_at. */
    enqueue: (db: Db, items: readonly OutboxItem[]) => enqueueNotifications(db, items, deps.clock.now()),
    worker,
    /** Starts the delivery worker (a pass now, then on enqueue and every poll interval). */
    start: () => worker.start(),
    /** Stops the worker after the pass in progress. */
    stop: () => worker.stop(),
  };
}

export type NotificationsModule = ReturnType<typeof createNotificationsModule>;
