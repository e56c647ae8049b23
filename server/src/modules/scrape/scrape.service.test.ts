import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createEmbeddedMetricStore, type EmbeddedMetricStore } from "#server/modules/metric-store/index.ts";
import { createScrapeService, type ScrapeService } from "#server/modules/scrape/scrape.service.ts";
import type { ScrapeOutcome, ScrapeTarget } from "#server/modules/targets/index.ts";
import { createLogger } from "#server/platform/logger.ts";
import { createOutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import { isStaleNaN } from "#server/platform/staleness.ts";

/* One scrape against a real local HTTP exporter, written to a real embedded store. */

const USER = "user-1";
const T0 = Date.parse("2026-05-01T10:00:00Z");

interface Exposition {
  status?: number;
  contentType?: string;
  body: string | Buffer;
  gzip?: boolean;
  /** Never answer (a hung exporter). */
  hang?: boolean;
}

describe("scrape service", () => {
  let exporter: http.Server;
  let port = 0;
  let next: Exposition = { body: "" };
  let lastRequest: http.IncomingHttpHeaders = {};
  const dir = mkdtempSync(path.join(tmpdir(), "auspex-scrape-"));
  let store: EmbeddedMetricStore;
  let now = T0;
  const clock = { now: () => new Date(now) };
  const outcomes: ScrapeOutcome[] = [];
  const metadata: unknown[][] = [];
  let scraper: ScrapeService;
  let seq = 0;

  const target = (overrides: Partial<ScrapeTarget> = {}): ScrapeTarget => ({
    id: `t${++seq}`,
    userId: USER,
    name: "web",
    job: "node",
    address: `127.0.0.1:${port}`,
    scheme: "http",
    metricsPath: "/metrics",
    intervalMs: 15_000,
    timeoutMs: 2_000,
    labels: {},
    ...overrides,
  });

  /** Samples of one series at `t` (staleness markers shown as "stale"). */
  async function valueAt(labels: Record<string, string>, t: number): Promise<number | "stale" | undefined> {
    const matchers = Object.entries(labels).map(([name, value]) => ({ type: "=" as const, name, value }));
    const series = await store.select(USER, matchers, t, t);
    const exact = series.filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
    assert.ok(exact.length <= 1);
    const v = exact[0]?.values[0];
    return v === undefined ? undefined : isStaleNaN(v) ? "stale" : v;
  }

  before(async () => {
    exporter = http.createServer((request, response) => {
      lastRequest = request.headers;
      if (next.hang) return;
      const body = next.gzip ? gzipSync(next.body) : next.body;
      response.writeHead(next.status ?? 200, {
        "content-type": next.contentType ?? "text/plain; version=0.0.4",
        ...(next.gzip ? { "content-encoding": "gzip" } : {}),
      });
      response.end(body);
    });
    await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
    port = (exporter.address() as AddressInfo).port;
    store = createEmbeddedMetricStore({ dir, maintenanceIntervalMs: 0, clock });
    scraper = createScrapeService({
      store,
      metadata: { recordMetadata: async (_user, entries) => void metadata.push([...entries]) },
      recordScrape: async (_target, outcome) => void outcomes.push(outcome),
      outbound: createOutboundPolicy({ allow: [], deny: ["10.99.0.0/16"] }),
      clock,
      logger: createLogger({ level: "silent", format: "json" }),
      limits: { bodyLimitBytes: 4096, sampleLimit: 50, labelValueLimit: 64, maxActiveSeries: 10_000, processingConcurrency: 2 },
      userAgent: "Auspex/test",
    });
  });
  after(async () => {
    exporter.closeAllConnections();
    await new Promise((resolve) => exporter.close(resolve));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    now += 15_000;
    outcomes.length = 0;
    metadata.length = 0;
  });

  it("stores the samples with job and instance, up and the scrape_* series, and reports the target up", async () => {
    next = { body: "# HELP temp_celsius Temperature.\n# TYPE temp_celsius gauge\ntemp_celsius{room=\"a\"} 21.5\ntemp_celsius{room=\"b\"} NaN\nrequests_total 7 1777629599000\n" };
    const t = target({ labels: { env: "prod" } });
    const report = await scraper.scrapeTarget(t);
    assert.deepEqual({ ...report, targetId: "" }, { targetId: "", up: true, error: null, samples: 3, seriesAdded: 2, staleMarked: 0 });
    const instance = `127.0.0.1:${port}`;
    assert.equal(await valueAt({ __name__: "temp_celsius", room: "a", job: "node", instance, env: "prod" }, now), 21.5);
    assert.ok(Number.isNaN(await valueAt({ __name__: "temp_celsius", room: "b", job: "node", instance, env: "prod" }, now)));
    assert.equal(await valueAt({ __name__: "requests_total", job: "node", instance, env: "prod" }, 1777629599000), 7, "an exposed timestamp is kept");
    assert.equal(await valueAt({ __name__: "up", job: "node", instance, env: "prod" }, now), 1);
    assert.equal(await valueAt({ __name__: "scrape_samples_scraped", job: "node", instance, env: "prod" }, now), 3);
    assert.equal(await valueAt({ __name__: "scrape_series_added", job: "node", instance, env: "prod" }, now), 2);
    const duration = await valueAt({ __name__: "scrape_duration_seconds", job: "node", instance, env: "prod" }, now);
    assert.ok(typeof duration === "number" && duration > 0 && duration < 2);
    assert.equal(outcomes[0]?.health, "up");
    assert.equal(outcomes[0]?.samples_last_scrape, 3);
    assert.equal(outcomes[0]?.last_error, null);
    assert.equal(outcomes[0]?.last_scrape_at, new Date(now).toISOString());
    assert.deepEqual(metadata[0], [{ metricFamilyName: "temp_celsius", type: "gauge", help: "Temperature.", unit: "" }]);
    assert.match(String(lastRequest.accept), /^application\/openmetrics-text;version=1\.0\.0/);
    assert.equal(lastRequest["accept-encoding"], "gzip");
    assert.equal(lastRequest["x-prometheus-scrape-timeout-seconds"], "2");

    // Unchanged metadata is not written again.
    now += 15_000;
    await scraper.scrapeTarget(t);
    assert.equal(metadata.length, 1);
  });

  it("keeps a scraped label that collides with a target label as exported_<name>", async () => {
    next = { body: 'm{job="app",instance="x",exported_job="y",env="dev"} 1\n' };
    await scraper.scrapeTarget(target({ labels: { env: "prod" } }));
    const instance = `127.0.0.1:${port}`;
    assert.equal(await valueAt({ __name__: "m", job: "node", instance, env: "prod", exported_job: "y", exported_exported_job: "app", exported_instance: "x", exported_env: "dev" }, now), 1);
  });

  it("passes the same frozen label object for a series at every scrape while the target's labels are unchanged", async () => {
    const appended: Array<ReadonlyArray<{ labels: Readonly<Record<string, string>> }>> = [];
    const recording = createScrapeService({
      store: { append: (userId, batch, options) => (appended.push(batch), store.append(userId, batch, options)) },
      metadata: { recordMetadata: async () => {} },
      recordScrape: async () => {},
      outbound: createOutboundPolicy({ allow: [], deny: [] }),
      clock,
      logger: createLogger({ level: "silent", format: "json" }),
      limits: { bodyLimitBytes: 4096, sampleLimit: 50, labelValueLimit: 64, maxActiveSeries: 10_000, processingConcurrency: 1 },
      userAgent: "Auspex/test",
    });
    const instance = `127.0.0.1:${port}`;
    const labelsOf = (name: string) => appended.at(-1)!.find((item) => item.labels.__name__ === name)!.labels;
    const t = target({ labels: { env: "prod" } });
    next = { body: 'm{job="app"} 1\nn 2\n' };
    await recording.scrapeTarget(t);
    const first = labelsOf("m");
    assert.ok(Object.isFrozen(first));
    assert.deepEqual(first, { __name__: "m", job: "node", exported_job: "app", env: "prod", instance });
    now += 15_000;
    next = { body: 'm{job="app"} 3\nn 4\n' };
    await recording.scrapeTarget(t);
    assert.equal(labelsOf("m"), first);
    assert.equal(labelsOf("up"), appended.at(-2)!.find((item) => item.labels.__name__ === "up")!.labels);
    assert.equal(await valueAt({ __name__: "m", job: "node", exported_job: "app", env: "prod", instance }, now), 3);

    // Changed target labels: new final labels, the old series go stale as before.
    now += 15_000;
    const report = await recording.scrapeTarget({ ...t, labels: { env: "dev" } });
    assert.deepEqual(labelsOf("m"), { __name__: "m", job: "node", exported_job: "app", env: "dev", instance });
    assert.equal(report.seriesAdded, 2);
    assert.equal(report.staleMarked, 2);
    assert.equal(await valueAt({ __name__: "m", job: "node", exported_job: "app", env: "prod", instance }, now), "stale");
  });

  it("treats two parsed forms of one final label set as one series (a target label with an empty value)", async () => {
    const t = target({ labels: { x: "" } });
    next = { body: 'm{x="v"} 1\nm{exported_x="v"} 2\n' };
    assert.match((await scraper.scrapeTarget(t)).error ?? "", /duplicate series m\{exported_x="v"/);
    for (const body of ['m{x="v"} 1\n', 'm{exported_x="v"} 2\n', 'm{x="v"} 3\n', 'm{x="v"} 4\nm{exported_x="v"} 5\n']) {
      now += 15_000;
      next = { body };
      const report = await scraper.scrapeTarget(t);
      if (body.includes("5")) assert.match(report.error ?? "", /duplicate series/);
      else assert.deepEqual([report.error, report.staleMarked], [null, 0]);
    }
  });

  it("marks series that disappear stale, and all of them when the target fails", async () => {
    const t = target();
    const instance = `127.0.0.1:${port}`;
    next = { body: "a 1\nb 2\n" };
    await scraper.scrapeTarget(t);
    now += 15_000;
    next = { body: "a 1\n" };
    const second = await scraper.scrapeTarget(t);
    assert.equal(second.staleMarked, 1);
    assert.equal(await valueAt({ __name__: "b", job: "node", instance }, now), "stale");
    assert.equal(await valueAt({ __name__: "a", job: "node", instance }, now), 1);

    now += 15_000;
    next = { status: 500, body: "oops" };
    const failed = await scraper.scrapeTarget(t);
    assert.equal(failed.up, false);
    assert.equal(failed.error, "server returned HTTP status 500 Internal Server Error");
    assert.equal(await valueAt({ __name__: "a", job: "node", instance }, now), "stale");
    assert.equal(await valueAt({ __name__: "up", job: "node", instance }, now), 0);
    assert.equal(outcomes.at(-1)?.health, "down");
    assert.equal(outcomes.at(-1)?.last_error, "server returned HTTP status 500 Internal Server Error");

    now += 15_000;
    next = { body: "a 1\n" };
    assert.equal((await scraper.scrapeTarget(t)).seriesAdded, 1, "after a failure the series count as added again");

    now += 15_000;
    await scraper.forgetTarget(t.id);
    assert.equal(await valueAt({ __name__: "a", job: "node", instance }, now), "stale");
    assert.equal(await valueAt({ __name__: "up", job: "node", instance }, now), "stale", "a removed target's up goes stale too");
  });

  it("reads gzip bodies and OpenMetrics by content type", async () => {
    next = { gzip: true, contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8", body: "# TYPE c counter\nc_total 5\n# EOF\n" };
    const report = await scraper.scrapeTarget(target());
    assert.equal(report.error, null);
    assert.equal(await valueAt({ __name__: "c_total", job: "node", instance: `127.0.0.1:${port}` }, now), 5);
  });

  it("fails the scrape with a clear error for bad or hostile expositions", async () => {
    const cases: Array<[Exposition, RegExp]> = [
      [{ body: `${"x".repeat(5000)} 1\n` }, /body exceeds the limit of 4096 bytes/],
      [{ body: Array.from({ length: 60 }, (_, i) => `s${i} 1`).join("\n") }, /more than maxSamples \(50\) samples \(raise AUSPEX_SCRAPE_SAMPLE_LIMIT to allow it\)/],
      [{ body: `m{l="${"v".repeat(100)}"} 1\n` }, /label value longer than maxLabelValueLength \(64\) \(raise AUSPEX_SCRAPE_LABEL_VALUE_LIMIT/],
      [{ body: "m 1\nm 2\n" }, /duplicate series m\{/],
      [{ body: "m{a=\"b\" 1\n" }, /line 1/],
      [{ body: Buffer.from([0x6d, 0x7b, 0x61, 0x3d, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x20, 0x31, 0x0a]) }, /invalid UTF-8/],
      [{ contentType: "application/openmetrics-text; version=1.0.0", body: "m 1\n" }, /EOF/],
      [{ gzip: false, body: "m 1\n", status: 404 }, /HTTP status 404/],
      [{ contentType: "application/json", body: '{"metrics": [1, 2]}' }, /line 1/],
      [{ body: "m 1 NaN\n" }, /line 1/],
    ];
    for (const [exposition, message] of cases) {
      next = exposition;
      const report = await scraper.scrapeTarget(target());
      assert.equal(report.up, false, `${message} should fail the scrape`);
      assert.match(report.error ?? "", message);
    }
  });

  it("takes NaN and ±Inf values as samples", async () => {
    next = { body: "a NaN\nb +Inf\nc -Inf\n" };
    const report = await scraper.scrapeTarget(target());
    assert.equal(report.error, null);
    const instance = `127.0.0.1:${port}`;
    assert.equal(await valueAt({ __name__: "b", job: "node", instance }, now), Infinity);
    assert.equal(await valueAt({ __name__: "c", job: "node", instance }, now), -Infinity);
  });

  it("fails a scrape with a line of megabytes at the line limit, within a body the size limit allows", async () => {
    const roomy = createScrapeService({
      store,
      metadata: { recordMetadata: async () => {} },
      recordScrape: async () => {},
      outbound: createOutboundPolicy({ allow: [], deny: [] }),
      clock,
      logger: createLogger({ level: "silent", format: "json" }),
      limits: { bodyLimitBytes: 8 << 20, sampleLimit: 1000, labelValueLimit: 16_384, maxActiveSeries: 10_000, processingConcurrency: 1 },
      userAgent: "Auspex/test",
    });
    next = { body: `m{l="${"x".repeat(3 << 20)}"} 1\n` };
    const report = await roomy.scrapeTarget(target());
    assert.equal(report.up, false);
    assert.match(report.error ?? "", /line 1: .*(longer|length)/i);
  });

  it("gives up on a hung exporter at the timeout", async () => {
    next = { body: "", hang: true };
    const report = await scraper.scrapeTarget(target({ timeoutMs: 200 }));
    assert.equal(report.error, "scrape timed out after 0.2 s");
    exporter.closeAllConnections();
  });

  it("refuses addresses the outbound policy denies, and reports unreachable ones", async () => {
    const denied = await scraper.scrapeTarget(target({ address: "169.254.169.254:80" }));
    assert.match(denied.error ?? "", /refused by the default deny list/);
    const configured = await scraper.scrapeTarget(target({ address: "10.99.1.1:80" }));
    assert.match(configured.error ?? "", /AUSPEX_OUTBOUND_DENY/);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await scraper.scrapeTarget(target({ address: `127.0.0.1:${closedPort}` }));
    assert.match(refused.error ?? "", /ECONNREFUSED/);
  });
});
