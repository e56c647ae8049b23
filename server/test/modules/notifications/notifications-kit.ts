import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PutChannelsRequest } from "@auspex/shared/contracts/notifications.ts";
import { createNotificationsModule, type NotificationsModule, type NotificationsModuleDeps, type WorkerTimers } from "#server/modules/notifications/index.ts";
import type { Actor } from "#server/platform/actor.ts";
import { createLogger } from "#server/platform/logger.ts";
import { createMetrics, type Metrics } from "#server/platform/metrics.ts";
import { createOutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import { openDatabase, type Database } from "#server/storage/database.ts";
import { manualClock } from "#test/harness.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

/** Timers that never fire by themselves: tests drive the worker with runDue() or rely on the enqueue signal. */
export const heldTimers: WorkerTimers = { setTimeout: () => ({}), clearTimeout: () => {} };

export interface Kit {
  dir: string;
  file: string;
  database: Database;
  module: NotificationsModule;
  metrics: Metrics;
  clock: ReturnType<typeof manualClock>;
  userId: string;
  actor: Actor;
  putChannels(request: PutChannelsRequest): Promise<string[]>;
  /** Closes the database (and the worker) without ceremony, as a crash would leave it. */
  crash(): Promise<void>;
  /** Opens the same SQLite file again with a new module (a restarted process). */
  restart(overrides?: Partial<NotificationsModuleDeps>): Promise<Kit>;
  close(): Promise<void>;
}

export const SETTINGS = {
  timeoutMs: 2000,
  giveUpAfterMs: 30 * 60_000,
  backoff: { baseMs: 10_000, maxMs: 60_000 },
  pollIntervalMs: 5000,
  smtp: undefined,
};

export async function startKit(overrides: Partial<NotificationsModuleDeps> = {}, reuse?: { dir: string; userId: string; clock: ReturnType<typeof manualClock> }): Promise<Kit> {
  const dir = reuse?.dir ?? mkdtempSync(path.join(tmpdir(), "auspex-notify-"));
  const file = path.join(dir, "auspex.db");
  const database = await openDatabase({ kind: "sqlite", path: file }, { busyTimeoutMs: 5000 });
  const userId = reuse?.userId ?? (await insertTestUsers(database.db, "notify", 1))[0]!;
  const clock = reuse?.clock ?? manualClock(new Date("2026-11-22T18:20:00Z"));
  const metrics = createMetrics();
  const module = createNotificationsModule({
    db: database.db,
    clock,
    logger: createLogger({ level: "silent", format: "json" }),
    metrics,
    outbound: createOutboundPolicy({ allow: [], deny: ["10.99.0.0/16"] }),
    secretsKey: "test-secrets-key-0123456789abcdefghijklmnop",
    settings: SETTINGS,
    userAgent: "Auspex/test",
    timers: heldTimers,
    random: () => 0.5,
    ...overrides,
  });
  const actor: Actor = { kind: "session", userId, sessionId: "test" };
  const kit: Kit = {
    dir,
    file,
    database,
    module,
    metrics,
    clock,
    userId,
    actor,
    async putChannels(request) {
      return (await module.putChannels(actor, request)).map((c) => c.id);
    },
    async crash() {
      await module.stop();
      await database.close();
    },
    restart: (more = {}) => startKit({ ...overrides, ...more }, { dir, userId, clock }),
    async close() {
      await module.stop();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return kit;
}

/** A metric's value for given labels (0 when never counted). */
export async function counterValue(metrics: Metrics, labels: Record<string, string>): Promise<number> {
  const data = await metrics.notifications.total.get();
  return data.values.filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val)).reduce((sum, v) => sum + v.value, 0);
}
