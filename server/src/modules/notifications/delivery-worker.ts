import { randomUUID } from "node:crypto";
import type { Clock } from "#server/platform/clock.ts";
import { newId } from "#server/platform/ids.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";
import { sendToChannel, type SendContext, type SendResult } from "#server/modules/notifications/channel-sender.ts";
import type { LoadedChannel } from "#server/modules/notifications/channels.service.ts";
import type { Notification, NotificationEvent } from "#server/modules/notifications/notification.types.ts";
import { onOutboxWritten } from "#server/modules/notifications/outbox.ts";
import type { OutboxRepository, OutboxResult, OutboxRow } from "#server/modules/notifications/outbox.repository.ts";
import { nextDelayMs, parseRetryAfterMs, type BackoffPolicy } from "#server/modules/notifications/retry.rules.ts";

/** Timer functions, injectable so tests drive the worker by hand. */
export interface WorkerTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: WorkerTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DeliverySettings {
  timeoutMs: number;
  giveUpAfterMs: number;
  backoff: BackoffPolicy;
  pollIntervalMs: number;
  /** How long a claimed row stays with its worker; after it, another may send it again. */
  leaseMs: number;
  /** Rows sent at once. */
  concurrency: number;
}

export interface DeliveryWorkerDeps {
  outbox: OutboxRepository;
  loadChannel: (userId: string, channelId: string) => Promise<LoadedChannel | undefined>;
  sendContext: (userId: string) => Promise<SendContext>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  settings: DeliverySettings;
  timers?: WorkerTimers;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
  /** Replaces the network send (tests of the worker's bookkeeping). */
  send?: typeof sendToChannel;
  /** Test hook between sending and recording: throwing abandons the row unrecorded, as a crash would. */
  afterSend?: (row: OutboxRow, result: SendResult) => Promise<void>;
  /** Told when a message is given up (refused, or out of time), so the alerts' history shows it. */
  onFailed?: (failure: { userId: string; channelId: string; notification: Notification; reason: string }) => Promise<void>;
}

export type Outcome = "success" | "retry" | "failed" | "dropped";

/**
 * Sends the outbox. Each row is claimed with a lease (status sending, lease_until) before the
 * network call and recorded after it in one transaction; a crash in between leaves the row
 * leased, and only once the lease has expired does a worker send it again, with the same
 * idempotency key. Failures retry with exponential backoff and jitter (at least Retry-After)
 * until the row's give-up time, then fail visibly (history, metric). Messages of one alert
 * group to one channel go out in order. Woken by enqueueNotifications; polls as well.
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { outbox, clock, settings, logger } = deps;
  const timers = deps.timers ?? systemTimers;
  const random = deps.random ?? Math.random;
  const send = deps.send ?? sendToChannel;
  const counter = deps.metrics.notifications.total;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: unknown;
  let started = false;
  let unsubscribe: (() => void) | undefined;

  function count(type: string, outcome: Outcome): void {
    counter.inc({ channel: type, outcome });
  }

  interface Claim {
    row: OutboxRow;
    token: string;
    nowIso: string;
    giveUpAt: string;
  }

  /** Marks the row sending under a lease; undefined when another worker got it first. */
  async function claimRow(row: OutboxRow): Promise<Claim | undefined> {
    const now = clock.now();
    const nowIso = now.toISOString();
    const token = randomUUID();
    const leaseUntil = new Date(now.getTime() + settings.leaseMs).toISOString();
    const giveUpDefault = new Date(now.getTime() + settings.giveUpAfterMs).toISOString();
    if (!(await outbox.claim(row.user_id, row.id, nowIso, leaseUntil, token, giveUpDefault))) return undefined;
    return { row, token, nowIso, giveUpAt: row.give_up_at ?? giveUpDefault };
  }

  /** Sends a claimed row once and records the outcome (no transaction is open during the send). */
  async function deliver({ row, token, nowIso, giveUpAt }: Claim): Promise<void> {
    const attempt = row.attempts + 1;
    const event = row.event as NotificationEvent;

    const finish = async (type: string, outcome: Outcome, result: OutboxResult, statusCode: number | null, detail: string | null, durationMs: number) => {
      const recorded = await outbox.complete(row.user_id, row.id, token, result, {
        id: newId(),
        user_id: row.user_id,
        outbox_id: row.id,
        channel_id: row.channel_id,
        attempt,
        at: nowIso,
        outcome,
        status_code: statusCode,
        detail,
        duration_ms: Math.round(durationMs),
      });
      if (!recorded) {
        logger.warn({ outbox_id: row.id }, "notification outcome not recorded: the lease was lost to another worker");
        return;
      }
      count(type, outcome);
      if (outcome !== "failed") return;
      logger.warn({ outbox_id: row.id, channel_id: row.channel_id, attempts: attempt, error: detail }, "notification delivery failed");
      try {
        await deps.onFailed?.({ userId: row.user_id, channelId: row.channel_id, notification: JSON.parse(row.notification) as Notification, reason: result.last_error ?? detail ?? "unknown error" });
      } catch (error) {
        logger.error({ error, outbox_id: row.id }, "recording a failed delivery in the alert history failed");
      }
    };
    const base = { last_status_code: null, delivered_at: null, updated_at: nowIso, next_attempt_at: row.next_attempt_at };

    let loaded: LoadedChannel | undefined;
    let loadError: string | undefined;
    try {
      loaded = await deps.loadChannel(row.user_id, row.channel_id);
    } catch (error) {
      // E.g. secrets sealed under another AUSPEX_SECRETS_KEY: retried, then given up, visibly.
      loadError = `cannot load the channel: ${(error as Error).message}`;
    }
    const dropReason =
      loadError !== undefined
        ? undefined
        : loaded === undefined
          ? "the channel no longer exists"
          : !loaded.enabled
            ? "the channel is disabled"
            : event === "resolve" && !loaded.sendResolved
              ? "send_resolved is off for this channel"
              : undefined;
    if (dropReason !== undefined) {
      await finish(loaded?.channel.type ?? "unknown", "dropped", { ...base, status: "dropped", last_error: dropReason }, null, dropReason, 0);
      return;
    }
    const type = loaded?.channel.type ?? "unknown";
    const started = performance.now();
    let result: SendResult;
    try {
      if (loaded === undefined) throw new Error(loadError ?? "the channel no longer exists");
      const notification = JSON.parse(row.notification) as Notification;
      result = await send(loaded.channel, notification, event, row.idempotency_key, await deps.sendContext(row.user_id));
    } catch (error) {
      result = { outcome: "retry", statusCode: null, body: null, error: (error as Error).message, retryAfter: undefined };
    }
    const durationMs = performance.now() - started;
    deps.metrics.notifications.duration.observe({ channel: type }, durationMs / 1000);
    if (deps.afterSend) await deps.afterSend(row, result);

    const after = clock.now();
    const afterIso = after.toISOString();
    const detail = result.error === null ? result.body?.slice(0, 500) ?? null : `${result.error}${result.body ? `: ${result.body.slice(0, 300)}` : ""}`;
    const common = { ...base, last_status_code: result.statusCode, updated_at: afterIso };
    if (result.outcome === "success") {
      await finish(type, "success", { ...common, status: "delivered", last_error: null, delivered_at: afterIso }, result.statusCode, detail, durationMs);
    } else if (result.outcome === "permanent" || after.getTime() >= Date.parse(giveUpAt)) {
      const why = result.outcome === "permanent" ? "refused" : `gave up after ${attempt} attempts`;
      await finish(type, "failed", { ...common, status: "failed", last_error: `${why}: ${detail ?? "unknown error"}` }, result.statusCode, detail, durationMs);
    } else {
      const delay = nextDelayMs(attempt, parseRetryAfterMs(result.retryAfter, after.getTime()), settings.backoff, random());
      // The last attempt happens at the give-up time, not after it.
      const next = Math.min(after.getTime() + delay, Date.parse(giveUpAt));
      await finish(type, "retry", { ...common, status: "pending", last_error: detail, next_attempt_at: new Date(next).toISOString() }, result.statusCode, detail, durationMs);
    }
  }

  /** Sends every row due now; returns how many rows were attempted. */
  async function drain(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const due = await outbox.listDue(clock.now().toISOString(), 100);
      let claimed = 0;
      const inFlight = new Set<Promise<void>>();
      for (const row of due) {
        // Claims are made one by one, so a later message of a group sees the earlier one as sending.
        if (await outbox.hasEarlierOpen(row)) continue;
        const claim = await claimRow(row);
        if (claim === undefined) continue;
        claimed++;
        const work: Promise<void> = deliver(claim)
          .catch((error: unknown) => logger.error({ error, outbox_id: row.id }, "notification delivery crashed"))
          .finally(() => inFlight.delete(work));
        inFlight.add(work);
        if (inFlight.size >= settings.concurrency) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
      attempted += claimed;
      if (claimed === 0) return attempted;
    }
  }

  async function schedule(): Promise<void> {
    if (!started) return;
    const now = clock.now().getTime();
    const next = await outbox.nextDueAt(new Date(now).toISOString());
    const delay = next === undefined ? settings.pollIntervalMs : Math.max(0, Math.min(settings.pollIntervalMs, Date.parse(next) - now));
    if (timer !== undefined) timers.clearTimeout(timer);
    timer = timers.setTimeout(() => {
      timer = undefined;
      wake();
    }, delay);
  }

  function wake(): void {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await drain();
        } catch (error) {
          logger.error({ error }, "notification worker pass failed");
        }
      } while (again && started);
      try {
        await schedule();
      } catch (error) {
        logger.error({ error }, "notification worker scheduling failed");
      }
    })().finally(() => {
      running = undefined;
    });
  }

  return {
    /** Starts sending: a pass now, then on every enqueue and poll. */
    start(): void {
      if (started) return;
      started = true;
      unsubscribe = onOutboxWritten(wake);
      wake();
    },
    /** Stops scheduling and waits for the pass in progress. */
    async stop(): Promise<void> {
      started = false;
      unsubscribe?.();
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      await running;
    },
    /** Asks for a pass now (e.g. after the caller's transaction committed). */
    wake,
    /** Runs one pass over every row due now, whether started or not (tests drive the worker with it). */
    runDue: async (): Promise<number> => {
      await running;
      return drain();
    },
    /** Resolves when no pass is running. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
