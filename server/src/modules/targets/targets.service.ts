import {
  defaultTimeoutSeconds,
  parseHostPort,
  TARGET_DEFAULTS,
  type CreateTargetRequest,
  type FileSd,
  type Target,
  type TargetHealth,
  type UpdateTargetRequest,
} from "@auspex/shared/contracts/targets.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { ConflictError, NotFoundError, ServiceError, ValidationError } from "#server/platform/errors.ts";
import { newId } from "#server/platform/ids.ts";
import type { Logger } from "#server/platform/logger.ts";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";
import type { FileSdWriter } from "#server/modules/targets/file-sd-writer.ts";
import { toFileSd } from "#server/modules/targets/file-sd.rules.ts";
import type { ScrapeOutcome, TargetChanges, TargetRow, TargetsRepository } from "#server/modules/targets/targets.repository.ts";

interface Deps {
  targets: TargetsRepository;
  clock: Clock;
  logger: Logger;
  outbound: OutboundPolicy;
  /** Name resolution for the outbound check (tests pass a fake; default the system resolver). */
  resolve?: ResolveHost;
  /** Keeps AUSPEX_FILE_SD_PATH current when configured. */
  fileSd?: FileSdWriter;
  /** Told after every change, so the scraper reschedules at once. */
  onChange?: () => void;
}

/** A target as the scraper needs it. */
export interface ScrapeTarget {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly job: string;
  readonly address: string;
  readonly scheme: "http" | "https";
  readonly metricsPath: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly labels: Readonly<Record<string, string>>;
}

/** The user's scrape targets: validated, checked against the outbound policy, exported as file_sd. */
export function createTargetsService({ targets, clock, logger, outbound, resolve, fileSd, onChange }: Deps) {
  const nowIso = () => clock.now().toISOString();

  async function checkAddress(address: string): Promise<void> {
    const parsed = parseHostPort(address);
    if (!parsed.ok) throw new ValidationError([{ field: "body.address", problem: parsed.problem }]);
    try {
      await checkOutboundAddress(outbound, parsed.host, resolve === undefined ? {} : { resolve });
    } catch (error) {
      if (error instanceof ServiceError && error.code === "validation_error") throw new ValidationError([{ field: "body.address", problem: error.message }]);
      throw error;
    }
  }

  async function assertNameFree(userId: string, name: string, exceptId?: string): Promise<void> {
    const existing = await targets.findByName(userId, name);
    if (existing && existing.id !== exceptId) {
      throw new ConflictError(`body.name: a target named '${name}' already exists`, [{ field: "body.name", problem: "is already used by another target" }]);
    }
  }

  async function changed(): Promise<void> {
    onChange?.();
    if (!fileSd) return;
    try {
      await fileSd.refresh(async () => toFileSd((await targets.listEnabled()).map(fileSdFields)));
    } catch (error) {
      // The change itself is stored; the next change rewrites the whole file.
      logger.error({ error }, "writing the file_sd file failed");
    }
  }

  return {
    async listTargets(actor: Actor): Promise<Target[]> {
      return (await targets.listForUser(actor.userId)).map(presentTarget);
    },

    /** How many targets the user has (for /stats). */
    async countTargets(userId: string): Promise<number> {
      return (await targets.listForUser(userId)).length;
    },

    async getTarget(actor: Actor, targetId: string): Promise<Target> {
      const row = await targets.findForUser(actor.userId, targetId);
      if (!row) throw new NotFoundError("target", targetId);
      return presentTarget(row);
    },

    async createTarget(actor: Actor, input: CreateTargetRequest): Promise<Target> {
      const intervalS = input.interval_s ?? TARGET_DEFAULTS.interval_s;
      const timeoutS = input.timeout_s ?? defaultTimeoutSeconds(intervalS);
      assertTimeout(intervalS, timeoutS);
      await checkAddress(input.address);
      await assertNameFree(actor.userId, input.name);
      const now = nowIso();
      const row: TargetRow = {
        id: newId(),
        user_id: actor.userId,
        name: input.name,
        job: input.job ?? TARGET_DEFAULTS.job,
        address: input.address,
        scheme: input.scheme ?? TARGET_DEFAULTS.scheme,
        metrics_path: input.metrics_path ?? TARGET_DEFAULTS.metrics_path,
        interval_ms: Math.round(intervalS * 1000),
        timeout_ms: Math.round(timeoutS * 1000),
        labels: JSON.stringify(input.labels ?? {}),
        enabled: (input.enabled ?? TARGET_DEFAULTS.enabled) ? 1 : 0,
        health: "unknown",
        last_scrape_at: null,
        last_scrape_duration_ms: null,
        last_error: null,
        samples_last_scrape: null,
        created_at: now,
        updated_at: now,
      };
      try {
        await targets.insert(row);
      } catch (error) {
        // Two creations with one name racing past assertNameFree: the unique constraint decides.
        await assertNameFree(actor.userId, input.name);
        throw error;
      }
      await changed();
      return presentTarget(row);
    },

    async updateTarget(actor: Actor, targetId: string, input: UpdateTargetRequest): Promise<Target> {
      const row = await targets.findForUser(actor.userId, targetId);
      if (!row) throw new NotFoundError("target", targetId);
      const intervalS = input.interval_s ?? row.interval_ms / 1000;
      const timeoutS = input.timeout_s ?? (input.interval_s !== undefined && input.interval_s * 1000 <= row.timeout_ms ? defaultTimeoutSeconds(intervalS) : row.timeout_ms / 1000);
      assertTimeout(intervalS, timeoutS);
      if (input.address !== undefined) await checkAddress(input.address);
      if (input.name !== undefined) await assertNameFree(actor.userId, input.name, row.id);
      const changes: TargetChanges = {
        ...(input.name !== undefined && { name: input.name }),
        ...(input.job !== undefined && { job: input.job }),
        ...(input.address !== undefined && { address: input.address }),
        ...(input.scheme !== undefined && { scheme: input.scheme }),
        ...(input.metrics_path !== undefined && { metrics_path: input.metrics_path }),
        ...(input.labels !== undefined && { labels: JSON.stringify(input.labels) }),
        ...(input.enabled !== undefined && { enabled: input.enabled ? 1 : 0 }),
        interval_ms: Math.round(intervalS * 1000),
        timeout_ms: Math.round(timeoutS * 1000),
        updated_at: nowIso(),
      };
      if (!(await targets.update(actor.userId, targetId, changes))) throw new NotFoundError("target", targetId);
      await changed();
      return presentTarget({ ...row, ...changes });
    },

    async deleteTarget(actor: Actor, targetId: string): Promise<void> {
      if (!(await targets.delete(actor.userId, targetId))) throw new NotFoundError("target", targetId);
      await changed();
    },

    /** The user's enabled targets as Prometheus file_sd JSON. */
    async exportFileSd(actor: Actor): Promise<FileSd> {
      return toFileSd((await targets.listForUser(actor.userId)).filter((t) => t.enabled === 1).map(fileSdFields));
    },

    /** Every enabled target of every user (the scraper's schedule). */
    async listScrapeTargets(): Promise<ScrapeTarget[]> {
      return (await targets.listEnabled()).map((row) => ({
        id: row.id,
        userId: row.user_id,
        name: row.name,
        job: row.job,
        address: row.address,
        scheme: row.scheme === "https" ? "https" : "http",
        metricsPath: row.metrics_path,
        intervalMs: row.interval_ms,
        timeoutMs: row.timeout_ms,
        labels: parseLabels(row.labels),
      }));
    },

    async recordScrape(target: Pick<ScrapeTarget, "id" | "userId">, outcome: ScrapeOutcome): Promise<void> {
      await targets.recordScrape(target.userId, target.id, outcome);
    },
  };
}

export type TargetsService = ReturnType<typeof createTargetsService>;

function assertTimeout(intervalS: number, timeoutS: number): void {
  if (timeoutS >= intervalS) {
    throw new ValidationError([{ field: "body.timeout_s", problem: `must be shorter than the interval (${intervalS} s)` }]);
  }
}

function parseLabels(json: string): Record<string, string> {
  return JSON.parse(json) as Record<string, string>;
}

function fileSdFields(row: TargetRow) {
  return { user_id: row.user_id, name: row.name, job: row.job, address: row.address, scheme: row.scheme, metrics_path: row.metrics_path, labels: parseLabels(row.labels) };
}

function presentTarget(row: TargetRow): Target {
  return {
    id: row.id,
    name: row.name,
    job: row.job,
    address: row.address,
    scheme: row.scheme === "https" ? "https" : "http",
    metrics_path: row.metrics_path,
    interval_s: row.interval_ms / 1000,
    timeout_s: row.timeout_ms / 1000,
    labels: parseLabels(row.labels),
    enabled: row.enabled === 1,
    health: row.health as TargetHealth,
    last_scrape_at: row.last_scrape_at,
    last_scrape_duration_ms: row.last_scrape_duration_ms,
    last_error: row.last_error,
    samples_last_scrape: row.samples_last_scrape,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
