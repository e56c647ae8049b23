import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ScrapeReport } from "#server/modules/scrape/index.ts";
import { startTestApp, type TestApp } from "#test/harness.ts";

/*
 * A fresh install: once the first user registers, the built-in jobs (this host as job "node",
 * Auspex itself as job "auspex") are scraped into that user's series, queryable at once.
 */

interface VectorResponse {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe("self-monitoring on a fresh install", () => {
  let t: TestApp;
  const reports: ScrapeReport[] = [];
  const waiters: Array<() => void> = [];

  /** Resolves once both built-in jobs have been scraped for the owner. */
  const builtinScraped = (ownerId: string): Promise<void> =>
    new Promise((resolve) => {
      const done = (): boolean => ["host", "auspex"].every((job) => reports.some((r) => r.targetId === `builtin:${job}:${ownerId}` && r.up));
      if (done()) resolve();
      else waiters.push(() => done() && resolve());
    });

  before(async () => {
    t = await startTestApp({ AUSPEX_SCRAPE: "true", AUSPEX_BUILTIN_SCRAPE_INTERVAL: "1s" });
    t.auspex.scheduler?.onScrape((report) => {
      reports.push(report);
      for (const waiter of waiters) waiter();
    });
  });
  after(() => t.close());

  it("scrapes nothing before there is a user, then the host and itself for the first user only", async () => {
    assert.equal(t.auspex.scheduler?.size, 0, "no owner yet: nothing to scrape");
    const owner = await t.register("first_owner");
    await builtinScraped(owner.user.id);
    const second = await t.register("second_user");

    const query = async (token: string, promql: string): Promise<VectorResponse["data"]["result"]> => {
      const response = await t.auspex.app.inject({ method: "GET", url: `/prometheus/api/v1/query?query=${encodeURIComponent(promql)}`, headers: t.bearer(token) });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<VectorResponse>().data.result;
    };
    const up = await query(owner.access_token, "up");
    assert.deepEqual(up.map((r) => [r.metric.job, r.value[1]]).sort(), [["auspex", "1"], ["node", "1"]]);
    const cpu = await query(owner.access_token, 'count(node_cpu_seconds_total{job="node",mode="idle"})');
    assert.ok(Number(cpu[0]?.value[1]) >= 1, "the host collector's series are there");
    const memory = await query(owner.access_token, "node_memory_MemTotal_bytes");
    assert.ok(Number(memory[0]?.value[1]) > 0);
    const self = await query(owner.access_token, 'process_resident_memory_bytes{job="auspex"}');
    assert.equal(self.length, 1, "Auspex's own /metrics series");
    assert.deepEqual(await query(second.access_token, "up"), [], "the built-in series belong to the owner only");
  });
});

describe("built-in jobs switched off", () => {
  it("scrapes only what is left on, for the configured owner", async () => {
    const t = await startTestApp({ AUSPEX_SCRAPE: "true", AUSPEX_HOST_COLLECTOR: "false", AUSPEX_OWNER: "named_owner", AUSPEX_BUILTIN_SCRAPE_INTERVAL: "1s" });
    try {
      const reports: ScrapeReport[] = [];
      const scraped = new Promise<void>((resolve) =>
        t.auspex.scheduler?.onScrape((report) => {
          reports.push(report);
          resolve();
        }),
      );
      await t.register("not_the_owner");
      // Syncs run one after another: this one ends after the one registration started.
      await t.auspex.scheduler?.sync();
      assert.equal(t.auspex.scheduler?.size, 0, "the first user is not the configured owner");
      const owner = await t.register("named_owner");
      await t.auspex.scheduler?.sync();
      assert.equal(t.auspex.scheduler?.size, 1, "only the self-scrape: the host collector is off");
      await scraped;
      assert.deepEqual(reports.map((r) => r.targetId), [`builtin:auspex:${owner.user.id}`]);
    } finally {
      await t.close();
    }
  });
});
