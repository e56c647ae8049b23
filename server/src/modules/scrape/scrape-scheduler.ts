import type { Logger } from "#server/platform/logger.ts";
import { createSemaphore } from "#server/platform/semaphore.ts";
import { hashedOffset, realTimers, type Timers } from "#server/platform/timers.ts";
import type { ScrapeJob, ScrapeReport, ScrapeService } from "#server/modules/scrape/scrape.service.ts";

interface Deps {
  listTargets: () => Promise<ScrapeJob[]>;
  scraper: Pick<ScrapeService, "scrapeTarget" | "forgetTarget">;
  logger: Logger;
  timers?: Timers;
  /** Scrapes running at once, over all targets; a hung target holds one slot until its timeout. */
  maxConcurrent: number;
}

interface Loop {
  target: ScrapeJob;
  fingerprint: string;
  timer: unknown;
  running: Promise<void> | null;
  stopped: boolean;
}

/** What makes a job the same job: everything but its source function. */
function fingerprint(job: ScrapeJob): string {
  const { source: _source, ...settings } = job;
  return JSON.stringify(settings);
}

/**
 * Runs every enabled target on its own interval, at a fixed offset inside it, never two scrapes
 * of one target at once, and at most `maxConcurrent` scrapes over all targets. Each target has
 * its own timer, so a slow or hung one never delays the others.
 */
export function createScrapeScheduler({ listTargets, scraper, logger, timers = realTimers, maxConcurrent }: Deps) {
  const loops = new Map<string, Loop>();
  const listeners = new Set<(report: ScrapeReport) => void>();
  const slots = createSemaphore(maxConcurrent);
  let closed = false;

  const schedule = (loop: Loop): void => {
    if (loop.stopped) return;
    const { intervalMs } = loop.target;
    const now = timers.now();
    const offset = hashedOffset(loop.target.id, intervalMs);
    const next = Math.floor((now - offset) / intervalMs) * intervalMs + offset + intervalMs;
    loop.timer = timers.setTimeout(() => tick(loop), next - now);
  };

  const tick = (loop: Loop): void => {
    schedule(loop);
    // The previous scrape still runs (its timeout is shorter than the interval, so rarely): skip.
    if (loop.running || loop.stopped) return;
    loop.running = (async () => {
      const release = await slots.acquire();
      try {
        if (loop.stopped) return;
        const report = await scraper.scrapeTarget(loop.target);
        for (const listener of listeners) listener(report);
      } catch (error) {
        logger.error({ error, target: loop.target.id }, "scrape could not be recorded");
      } finally {
        release();
        loop.running = null;
      }
    })();
  };

  const stopLoop = async (loop: Loop): Promise<void> => {
    loop.stopped = true;
    timers.clearTimeout(loop.timer);
    await loop.running;
  };

  /** Runs syncs one after another: two target changes in a row must not interleave their loop updates. */
  let syncs: Promise<void> = Promise.resolve();

  async function syncNow(): Promise<void> {
    if (closed) return;
    const targets = await listTargets();
    const wanted = new Map(targets.map((t) => [t.id, t]));
    for (const [id, loop] of loops) {
      const target = wanted.get(id);
      if (target && fingerprint(target) === loop.fingerprint) continue;
      loops.delete(id);
      await stopLoop(loop);
      // Moved or re-labelled targets write new series: the old ones end here either way.
      await scraper.forgetTarget(id);
    }
    for (const target of targets) {
      if (loops.has(target.id)) continue;
      const loop: Loop = { target, fingerprint: fingerprint(target), timer: undefined, running: null, stopped: false };
      loops.set(target.id, loop);
      schedule(loop);
    }
  }

  return {
    /**
     * Brings the loops in line with the enabled targets: new ones start, changed ones restart, gone
     * ones stop and go stale. Never rejects (a failure is logged; the next sync retries).
     */
    sync(): Promise<void> {
      syncs = syncs.then(syncNow).catch((error: unknown) => logger.error({ error }, "updating the scrape schedule failed"));
      return syncs;
    },

    /** Stops every loop and waits for scrapes in flight. Series are not marked stale: the targets still exist. */
    async close(): Promise<void> {
      closed = true;
      const all = [...loops.values()];
      loops.clear();
      await Promise.all(all.map(stopLoop));
    },

    /** Calls `listener` after every scrape; returns the function that stops it. */
    onScrape(listener: (report: ScrapeReport) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Targets scheduled now (for tests and the health report). */
    get size(): number {
      return loops.size;
    },
  };
}

export type ScrapeScheduler = ReturnType<typeof createScrapeScheduler>;
