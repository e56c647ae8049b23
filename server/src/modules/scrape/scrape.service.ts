import type { Clock } from "#server/platform/clock.ts";
import { ServiceError } from "#server/platform/errors.ts";
import { ExpositionError, parseExposition, SCRAPE_ACCEPT_HEADER, type ExpositionLimits } from "#server/platform/exposition/index.ts";
import type { Logger } from "#server/platform/logger.ts";
import { parseAddress } from "#server/platform/outbound/cidr.rules.ts";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import { createOutboundLookup } from "#server/platform/outbound/outbound-lookup.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";
import { ownLabels, ownString } from "#server/platform/own-string.ts";
import { createSemaphore } from "#server/platform/semaphore.ts";
import { STALE_NAN } from "#server/platform/staleness.ts";
import type { MetadataService } from "#server/modules/metadata/index.ts";
import type { MetricStore, SeriesBatch } from "#server/modules/metric-store/index.ts";
import type { ScrapeOutcome, ScrapeTarget } from "#server/modules/targets/index.ts";
import { fetchExposition, ScrapeError } from "#server/modules/scrape/scrape-http.ts";
import { applyTargetLabels, formatSeries, identityKey, targetLabels } from "#server/modules/scrape/scrape-labels.rules.ts";

export interface ScrapeLimits {
  /** Largest response body, after gzip decompression. */
  readonly bodyLimitBytes: number;
  /** Most samples one scrape may return; more fails the scrape. */
  readonly sampleLimit: number;
  /** Longest label value (and metric name). */
  readonly labelValueLimit: number;
  /** Active series a user may have (the store refuses new series past it). */
  readonly maxActiveSeries: number;
  /**
   * Scrapes parsed and appended at once (fetching is not limited here). A few keep the CPU busy;
   * more only keep more parsed samples alive across the store's WAL commit, which V8 then
   * promotes to the old generation and has to collect there (measured: 64 at once cost 60% more CPU than 4).
   */
  readonly processingConcurrency: number;
}

interface Deps {
  store: Pick<MetricStore, "append">;
  metadata: Pick<MetadataService, "recordMetadata">;
  /** Where each scrape's health goes (the targets service). */
  recordScrape: (target: Pick<ScrapeTarget, "id" | "userId">, outcome: ScrapeOutcome) => Promise<void>;
  outbound: OutboundPolicy;
  resolve?: ResolveHost;
  clock: Clock;
  logger: Logger;
  limits: ScrapeLimits;
  userAgent: string;
}

/** Where a built-in job reads its exposition from instead of HTTP (the host collector, Auspex's own registry). */
export type ExpositionSource = () => Promise<{ contentType: string | undefined; body: string | Uint8Array }>;

/**
 * A target to scrape: a user's target, or a built-in job with its own source. A built-in job has
 * no row in the targets table, so its health is not recorded there.
 */
export type ScrapeJob = ScrapeTarget & { readonly source?: ExpositionSource };

/** What one scrape did, for the scheduler and tests. */
export interface ScrapeReport {
  readonly targetId: string;
  readonly up: boolean;
  readonly error: string | null;
  readonly samples: number;
  readonly seriesAdded: number;
  readonly staleMarked: number;
}

/**
 * What the scrapes of a target wrote, to mark what disappears as stale. Entries live as long as
 * their series and are updated in place (a generation number per scrape), so a scrape allocates
 * nothing here for series it saw before: with 1,000 targets every scrape re-sees ~all of them.
 */
interface TargetMemory {
  /** Series without explicit timestamps, by identity key (of their final labels). */
  series: Map<string, SeriesEntry>;
  /**
   * The scrape series cache (as Prometheus's per-target series cache): the identity key of a
   * series' labels as parsed → its entry in `series`, whose frozen final labels the store then
   * recognises without hashing them (see SeriesBatch). Valid while `baseKey` (the target's labels)
   * is unchanged; an entry leaves with its series (the generation sweep), so it holds at most the
   * sample limit's worth of series.
   */
  byRaw: Map<string, SeriesEntry>;
  baseKey: string;
  generation: number;
  /** The synthetic series' labels (up, scrape_*), stale when the target goes; frozen, reused while `baseKey` holds. */
  synthetic: ReadonlyArray<Readonly<Record<string, string>>>;
  userId: string;
  metadataKey: string;
}

interface SeriesEntry {
  /** The final labels (target labels applied), owned and frozen: the same object at every scrape. */
  readonly labels: Readonly<Record<string, string>>;
  seen: number;
  since: number;
  /** The parsed-labels key this entry is cached under in `byRaw` (the first one seen), if any. */
  raw: string | undefined;
}

/** The setting behind each parser limit the scraper sets, named in `last_error`. */
const LIMIT_SETTINGS: Partial<Record<keyof ExpositionLimits, string>> = {
  maxSamples: "AUSPEX_SCRAPE_SAMPLE_LIMIT",
  maxLabelValueLength: "AUSPEX_SCRAPE_LABEL_VALUE_LIMIT",
};

function duplicate(labels: Record<string, string>): ScrapeError {
  return new ScrapeError(`duplicate series ${formatSeries(labels)} in one scrape`);
}

const SYNTHETIC = ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added"] as const;

/**
 * Scrapes one target: fetch (through the outbound policy), parse, label, append with `up` and
 * the scrape_* series, mark vanished series stale, and record the target's health.
 */
export function createScrapeService(deps: Deps) {
  const { store, clock, limits, logger } = deps;
  const lookup = createOutboundLookup(deps.outbound, deps.resolve);
  const memory = new Map<string, TargetMemory>();
  const processing = createSemaphore(limits.processingConcurrency);
  const parseLimits: Partial<ExpositionLimits> = { maxSamples: limits.sampleLimit, maxLabelValueLength: limits.labelValueLimit };

  async function fetchBody(target: ScrapeJob): Promise<{ contentType: string | undefined; body: string | Uint8Array }> {
    if (target.source) return target.source();
    const url = new URL(`${target.scheme}://${target.address}${target.metricsPath}`);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    // Node dials IP literals without calling lookup: check them here (names are checked at connect).
    if (parseAddress(host) !== null) await checkOutboundAddress(deps.outbound, host);
    return fetchExposition({
      url,
      accept: SCRAPE_ACCEPT_HEADER,
      timeoutMs: target.timeoutMs,
      maxBodyBytes: limits.bodyLimitBytes,
      lookup,
      userAgent: deps.userAgent,
    });
  }

  function staleBatch(labelSets: Iterable<Readonly<Record<string, string>>>, t: number): SeriesBatch {
    const out: Array<SeriesBatch[number]> = [];
    for (const labels of labelSets) out.push({ labels, samples: [{ t, v: STALE_NAN }] });
    return out;
  }

  return {
    async scrapeTarget(target: ScrapeJob): Promise<ScrapeReport> {
      const start = clock.now().getTime();
      const started = performance.now();
      let fetched: { contentType: string | undefined; body: string | Uint8Array } | undefined;
      let fetchError: unknown;
      try {
        fetched = await fetchBody(target);
      } catch (caught) {
        fetchError = caught;
      }
      // As Prometheus's scrape_duration_seconds: the exchange with the target, not the queue after it.
      const durationMs = performance.now() - started;
      const release = await processing.acquire();
      try {
        return await processScrape(target, start, durationMs, fetched, fetchError);
      } finally {
        release();
      }
    },

    /** The target is gone (deleted, disabled, moved): every series it wrote goes stale now. */
    async forgetTarget(targetId: string): Promise<void> {
      const previous = memory.get(targetId);
      if (!previous) return;
      memory.delete(targetId);
      const t = clock.now().getTime();
      await store.append(previous.userId, staleBatch([...[...previous.series.values()].map((e) => e.labels), ...previous.synthetic], t));
    },
  };

  async function processScrape(
    target: ScrapeJob,
    start: number,
    durationMs: number,
    fetched: { contentType: string | undefined; body: string | Uint8Array } | undefined,
    fetchError: unknown,
  ): Promise<ScrapeReport> {
    let mem = memory.get(target.id);
    if (!mem) {
      mem = { series: new Map(), byRaw: new Map(), baseKey: "", generation: 0, synthetic: [], userId: target.userId, metadataKey: "" };
      memory.set(target.id, mem);
    }
    const generation = ++mem.generation;
    const base = targetLabels(target);
    const baseKey = identityKey(base);
    let syntheticLabels: ReadonlyArray<Readonly<Record<string, string>>> | undefined = mem.synthetic;
    if (baseKey !== mem.baseKey || syntheticLabels.length === 0) {
      // The target's labels changed (or this is its first scrape): cached final labels no longer hold.
      mem.byRaw.clear();
      for (const entry of mem.series.values()) entry.raw = undefined;
      mem.baseKey = baseKey;
      syntheticLabels = undefined;
    }
    const batch: Array<SeriesBatch[number]> = [];
    let error: string | null = null;
    let samples = 0;
    let seriesAdded = 0;
    let metadataEntries: Array<{ metricFamilyName: string; type: string; help: string; unit: string }> = [];
    try {
      if (fetched === undefined) throw fetchError;
      const parsed = parseExposition(fetched.body, fetched.contentType, parseLimits);
      let timestamped: Set<string> | undefined;
      for (const sample of parsed.samples) {
        if (sample.timestampMs === undefined) {
          const rawKey = identityKey(sample.labels);
          let entry = mem.byRaw.get(rawKey);
          if (entry !== undefined) {
            // Cached: the same parsed labels and target labels give the same final labels.
            if (entry.seen === generation) throw duplicate(entry.labels);
            entry.seen = generation;
          } else {
            const labels = applyTargetLabels(sample.labels, base);
            const key = identityKey(labels);
            entry = mem.series.get(key);
            if (entry?.seen === generation) throw duplicate(labels);
            if (entry) entry.seen = generation;
            else {
              entry = { labels: Object.freeze(ownLabels(labels)), seen: generation, since: generation, raw: undefined };
              mem.series.set(key, entry);
              seriesAdded++;
            }
            // Another parsed form of an entry's labels (rare: an empty target label) is not cached.
            if (entry.raw === undefined) {
              entry.raw = ownString(rawKey);
              mem.byRaw.set(entry.raw, entry);
            }
          }
          batch.push({ labels: entry.labels, samples: [{ t: start, v: sample.value }] });
        } else {
          const labels = applyTargetLabels(sample.labels, base);
          const key = identityKey(labels);
          timestamped ??= new Set();
          if (timestamped.has(key)) throw duplicate(labels);
          timestamped.add(key);
          batch.push({ labels, samples: [{ t: sample.timestampMs, v: sample.value }] });
        }
      }
      samples = parsed.samples.length;
      metadataEntries = parsed.metadata.map((m) => ({ metricFamilyName: m.name, type: m.type, help: m.help, unit: m.unit }));
    } catch (caught) {
      if (!(caught instanceof ScrapeError || caught instanceof ExpositionError || caught instanceof ServiceError)) {
        logger.error({ error: caught, target: target.id }, "scrape failed unexpectedly");
      }
      error = caught instanceof Error ? caught.message : String(caught);
      const setting = caught instanceof ExpositionError && caught.limit !== undefined ? LIMIT_SETTINGS[caught.limit] : undefined;
      if (setting !== undefined) error += ` (raise ${setting} to allow it)`;
      batch.length = 0;
      seriesAdded = 0;
    }
    const up = error === null;

    // Gone: not seen in this scrape (all of them when it failed), unless first seen in it.
    const vanished: Array<Readonly<Record<string, string>>> = [];
    for (const [key, entry] of mem.series) {
      if (up && entry.seen === generation) continue;
      mem.series.delete(key);
      if (entry.raw !== undefined) mem.byRaw.delete(entry.raw);
      if (entry.since !== generation) vanished.push(entry.labels);
    }
    batch.push(...staleBatch(vanished, start));

    const synthetic = syntheticLabels ?? SYNTHETIC.map((name) => Object.freeze({ ...base, __name__: name }));
    const syntheticValues = [up ? 1 : 0, durationMs / 1000, samples, seriesAdded];
    synthetic.forEach((labels, i) => batch.push({ labels, samples: [{ t: start, v: syntheticValues[i]! }] }));

    const result = await store.append(target.userId, batch, { maxActiveSeries: limits.maxActiveSeries });
    if (result.rejected > 0 && up) {
      const first = result.rejections[0];
      logger.warn({ target: target.id, rejected: result.rejected, reason: first?.reason }, "scraped samples rejected by the store");
    }
    mem.synthetic = synthetic;
    const metadataKey = JSON.stringify(metadataEntries);
    if (up && metadataEntries.length > 0 && metadataKey !== mem.metadataKey) {
      await deps.metadata.recordMetadata(target.userId, metadataEntries);
      mem.metadataKey = metadataKey;
    }

    if (!target.source) {
      await deps.recordScrape(target, {
        health: up ? "up" : "down",
        last_scrape_at: new Date(start).toISOString(),
        last_scrape_duration_ms: Math.round(durationMs * 1000) / 1000,
        last_error: error,
        samples_last_scrape: samples,
      });
    }
    return { targetId: target.id, up, error, samples, seriesAdded, staleMarked: vanished.length };
  }
}

export type ScrapeService = ReturnType<typeof createScrapeService>;
