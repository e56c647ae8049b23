import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Target } from "@auspex/shared/contracts/targets.ts";
import type { ScrapeReport } from "#server/modules/scrape/index.ts";
import { startTestApp, type TestApp } from "#test/harness.ts";
import { startNodeExporter, type NodeExporter } from "#e2e/support/node-exporter.ts";
import { startPrometheus, type PrometheusServer } from "#e2e/support/prometheus.ts";

/*
 * A real node_exporter (Debian) added through the targets API is scraped by Auspex, and the same
 * exporter by a real Prometheus: the series names and label sets agree. When the exporter stops,
 * the target goes down with the reason and its series go stale.
 */

const COLLECTORS = ["--collector.disable-defaults", "--collector.cpu", "--collector.meminfo", "--collector.loadavg", "--collector.stat", "--collector.uname"];
/** Series only Prometheus writes about a scrape (Auspex does no metric relabelling). */
const PROMETHEUS_ONLY = new Set(["scrape_samples_post_metric_relabeling"]);

type SeriesResponse = { status: string; data: Array<Record<string, string>> };

describe("scraping a real node_exporter", () => {
  let exporter: NodeExporter;
  let prometheus: PrometheusServer;
  let t: TestApp;
  let token: string;
  let target: Target;
  const reports: ScrapeReport[] = [];
  const waiters = new Set<() => void>();

  /** Resolves at the next scrape report of the target matching `predicate` (bounded by the test timeout). */
  const nextScrape = (predicate: (r: ScrapeReport) => boolean): Promise<ScrapeReport> =>
    new Promise((resolve) => {
      const seen = reports.length;
      const check = (): void => {
        const found = reports.slice(seen).find((r) => r.targetId === target.id && predicate(r));
        if (found) {
          waiters.delete(check);
          resolve(found);
        }
      };
      waiters.add(check);
    });

  before(async () => {
    exporter = await startNodeExporter(COLLECTORS);
    const address = new URL(exporter.url).host;
    prometheus = await startPrometheus({ scrapeConfigs: `  - job_name: node\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["${address}"]\n` });
    t = await startTestApp({ AUSPEX_SCRAPE: "true", AUSPEX_HOST_COLLECTOR: "false", AUSPEX_SELF_SCRAPE: "false" });
    t.auspex.scheduler?.onScrape((report) => {
      reports.push(report);
      for (const waiter of waiters) waiter();
    });
    token = (await t.register("scrape_e2e")).access_token;
  });
  after(async () => {
    await t?.close();
    await prometheus?.stop();
    await exporter?.stop();
  });

  it("has the exporter's series queryable within two intervals, named and labelled as Prometheus has them", { timeout: 60_000 }, async () => {
    const address = new URL(exporter.url).host;
    const created = await t.auspex.app.inject({ method: "POST", url: "/api/v1/targets", headers: t.bearer(token), payload: { name: "node-1", address, interval_s: 1 } });
    assert.equal(created.statusCode, 201, created.body);
    target = created.json<Target>();
    await nextScrape((r) => r.up);
    await nextScrape((r) => r.up);

    const got = await t.auspex.app.inject({ method: "GET", url: `/api/v1/targets/${target.id}`, headers: t.bearer(token) });
    const status = got.json<Target>();
    assert.equal(status.health, "up");
    assert.equal(status.last_error, null);
    assert.ok((status.samples_last_scrape ?? 0) > 50, `samples_last_scrape ${status.samples_last_scrape}`);

    const match = encodeURIComponent('{job="node"}');
    const ours = await t.auspex.app.inject({ method: "GET", url: `/prometheus/api/v1/series?match[]=${match}`, headers: t.bearer(token) });
    assert.equal(ours.statusCode, 200, ours.body);
    // Prometheus: wait until it has scraped twice too (an external program: bounded polling).
    let theirs: SeriesResponse | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      theirs = (await (await fetch(`${prometheus.url}/api/v1/series?match[]=${match}`)).json()) as SeriesResponse;
      if (theirs.data.some((s) => s.__name__ === "node_cpu_seconds_total")) break;
      await sleep(200);
    }
    const key = (labels: Record<string, string>): string =>
      Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(",");
    const ourSeries = new Set(ours.json<SeriesResponse>().data.map(key));
    const theirSeries = new Set((theirs?.data ?? []).filter((s) => !PROMETHEUS_ONLY.has(s.__name__ ?? "")).map(key));
    assert.ok(theirSeries.size > 50, `Prometheus has ${theirSeries.size} series`);
    assert.deepEqual([...ourSeries].filter((s) => !theirSeries.has(s)), [], "series only Auspex has");
    assert.deepEqual([...theirSeries].filter((s) => !ourSeries.has(s)), [], "series only Prometheus has");
  });

  it("reports a stopped exporter down with the reason, and its series go stale", { timeout: 60_000 }, async () => {
    await exporter.stop();
    const failed = await nextScrape((r) => !r.up);
    assert.match(failed.error ?? "", /ECONNREFUSED/);
    const status = (await t.auspex.app.inject({ method: "GET", url: `/api/v1/targets/${target.id}`, headers: t.bearer(token) })).json<Target>();
    assert.equal(status.health, "down");
    assert.match(status.last_error ?? "", /ECONNREFUSED/);

    const query = async (promql: string) => {
      const response = await t.auspex.app.inject({ method: "GET", url: `/prometheus/api/v1/query?query=${encodeURIComponent(promql)}`, headers: t.bearer(token) });
      return response.json<{ data: { result: Array<{ value: [number, string] }> } }>().data.result;
    };
    assert.equal((await query('up{job="node"}'))[0]?.value[1], "0");
    assert.deepEqual(await query('node_cpu_seconds_total{job="node"}'), [], "the exporter's series are stale");
  });
});
