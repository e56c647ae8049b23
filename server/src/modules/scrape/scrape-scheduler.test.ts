import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createScrapeScheduler } from "#server/modules/scrape/scrape-scheduler.ts";
import type { ScrapeReport } from "#server/modules/scrape/scrape.service.ts";
import type { ScrapeTarget } from "#server/modules/targets/index.ts";
import { createLogger } from "#server/platform/logger.ts";
import { hashedOffset, type Timers } from "#server/platform/timers.ts";
import { settle, virtualTimers } from "#test/support/virtual-timers.ts";


const target = (id: string, intervalMs = 10_000): ScrapeTarget => ({
  id,
  userId: "u",
  name: id,
  job: "node",
  address: "127.0.0.1:1",
  scheme: "http",
  metricsPath: "/metrics",
  intervalMs,
  timeoutMs: intervalMs / 2,
  labels: {},
});

const report = (t: ScrapeTarget): ScrapeReport => ({ targetId: t.id, up: true, error: null, samples: 0, seriesAdded: 0, staleMarked: 0 });
const logger = createLogger({ level: "silent", format: "json" });

/** A scheduler on virtual time over `targets`, scraping with `scrapeTarget`. */
function schedulerFor(
  timers: Timers,
  targets: () => ScrapeTarget[],
  scrapeTarget: (t: ScrapeTarget) => Promise<ScrapeReport>,
  options: { maxConcurrent?: number; forgetTarget?: (id: string) => Promise<void> } = {},
) {
  return createScrapeScheduler({
    listTargets: async () => targets(),
    scraper: { scrapeTarget, forgetTarget: options.forgetTarget ?? (async () => {}) },
    logger,
    timers,
    maxConcurrent: options.maxConcurrent ?? 10,
  });
}

describe("scrape scheduler", () => {
  it("scrapes each target once per interval at its own offset", async () => {
    const timers = virtualTimers();
    const scraped: Array<[string, number]> = [];
    let targets = [target("a"), target("b", 5_000)];
    const scheduler = schedulerFor(timers, () => targets, async (t) => (scraped.push([t.id, timers.now()]), report(t)));
    await scheduler.sync();
    await timers.advance(20_000);
    const times = (id: string) => scraped.filter(([t]) => t === id).map(([, at]) => at);
    assert.equal(times("a").length, 2);
    assert.equal(times("b").length, 4);
    for (const at of times("a")) assert.equal(at % 10_000, hashedOffset("a", 10_000));
    for (const at of times("b")) assert.equal(at % 5_000, hashedOffset("b", 5_000));
    assert.notEqual(hashedOffset("a", 10_000), hashedOffset("c", 10_000), "targets spread over the interval");
    targets = [];
    await scheduler.sync();
    assert.equal(scheduler.size, 0);
    assert.equal(timers.pending(), 0);
  });

  it("never overlaps two scrapes of one target and lets a hung target not delay the others", async () => {
    const timers = virtualTimers();
    const scraped: string[] = [];
    let releaseHung: () => void = () => {};
    const scheduler = schedulerFor(
      timers,
      () => [target("hung"), target("fine")],
      async (t) => {
        scraped.push(t.id);
        if (t.id === "hung") await new Promise<void>((resolve) => (releaseHung = resolve));
        return report(t);
      },
      { maxConcurrent: 2 },
    );
    await scheduler.sync();
    await timers.advance(35_000);
    assert.equal(scraped.filter((id) => id === "hung").length, 1, "the hung scrape is not started again while it runs");
    assert.equal(scraped.filter((id) => id === "fine").length, 4, "the other target keeps its schedule");
    releaseHung();
    await settle();
    await timers.advance(10_000);
    assert.equal(scraped.filter((id) => id === "hung").length, 2);
    releaseHung();
    await scheduler.close();
  });

  it("bounds scrapes running at once", async () => {
    const timers = virtualTimers();
    let running = 0;
    let peak = 0;
    const finishers: Array<() => void> = [];
    const targets = Array.from({ length: 6 }, (_, i) => target(`t${i}`));
    const scheduler = schedulerFor(
      timers,
      () => targets,
      async (t) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => finishers.push(resolve));
        running--;
        return report(t);
      },
      { maxConcurrent: 2 },
    );
    await scheduler.sync();
    await timers.advance(10_000);
    assert.equal(running, 2);
    while (finishers.length > 0) {
      finishers.shift()?.();
      await settle();
    }
    assert.equal(peak, 2);
    assert.equal(running, 0, "every target got its turn");
    await scheduler.close();
  });

  it("restarts a changed target and marks a removed one stale", async () => {
    const timers = virtualTimers();
    const forgotten: string[] = [];
    const scraped: ScrapeTarget[] = [];
    let targets = [target("keep"), target("change"), target("drop")];
    const scheduler = schedulerFor(timers, () => targets, async (t) => (scraped.push(t), report(t)), { forgetTarget: async (id) => void forgotten.push(id) });
    await scheduler.sync();
    targets = [target("keep"), { ...target("change"), address: "127.0.0.1:2" }];
    await scheduler.sync();
    assert.deepEqual(forgotten.sort(), ["change", "drop"]);
    await timers.advance(10_000);
    assert.deepEqual(scraped.map((t) => t.id).sort(), ["change", "keep"]);
    assert.equal(scraped.find((t) => t.id === "change")?.address, "127.0.0.1:2");
    await scheduler.close();
  });
});
