import type { Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";
import { ownLabels } from "#server/platform/own-string.ts";
import { isStaleNaN } from "#server/platform/staleness.ts";
import type { AnomaliesService, AnomalyObservation, FeedbackListener } from "#server/modules/anomalies/index.ts";
import type { MetricStore, SeriesBatch } from "#server/modules/metric-store/index.ts";
import { createSeriesDetector, restoreSeriesDetector, type DetectorConfig, type SeriesDetector } from "#server/modules/detection/core/index.ts";
import type { DetectorStateRow, DetectorStatesRepository } from "#server/modules/detection/engine/detector-states.repository.ts";
import { newEpisodeState, stepEpisode, type EpisodeConfig, type EpisodeState } from "#server/modules/detection/engine/episode.rules.ts";
import { isDetectable, OUTPUT_METRICS, outputLabels } from "#server/modules/detection/engine/output-series.rules.ts";
import { seriesDetectorConfig } from "#server/modules/detection/engine/series-config.rules.ts";
import { createHostDetector, type HostDetector } from "#server/modules/detection/multivariate/host-detector.rules.ts";
import type { HostSample } from "#server/modules/detection/multivariate/host-features.rules.ts";
import type { DetectionSettings as UserDetectionSettings } from "@auspex/shared/contracts/detection.ts";

export interface DetectionSettings {
  readonly detector: Partial<DetectorConfig>;
  readonly episode: EpisodeConfig;
  /** Samples waiting to be scored before the oldest batches are dropped (detection lags, data is never lost). */
  readonly maxQueuedSamples: number;
  /**
   * A series without samples for this long (ms) leaves memory at the next checkpoint (default 6 h);
   * its checkpoint brings it back when it reports again.
   */
  readonly evictIdleMs?: number;
}

const DEFAULT_EVICT_IDLE_MS = 6 * 3_600_000;

interface Deps {
  /** The plain store (not the observed one): detection writes its output series there and replays from it after a restart. */
  store: Pick<MetricStore, "append" | "select">;
  anomalies: Pick<AnomaliesService, "observeAnomaly" | "closeAnomaly">;
  /** Checkpoints of every series' detector. */
  states: DetectorStatesRepository;
  clock: { now(): Date };
  logger: Logger;
  settings: DetectionSettings;
  metrics?: Pick<Metrics, "detection">;
  /** Told, after each scored batch, the latest sample time (ms) seen for the user: incidents resolve in sample time. */
  onWatermark?: (userId: string, t: number) => Promise<void>;
}

interface SeriesState {
  readonly userId: string;
  readonly key: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Replaced (from its own snapshot) when the user's settings change. */
  detector: SeriesDetector;
  readonly episode: EpisodeState;
  /** Raised by "normal" and "noise" feedback: the score an episode must exceed on this series. */
  threshold: number;
  /** Time of the last sample scored (ms). */
  lastT: number;
  /** Changed since the last checkpoint. */
  dirty: boolean;
}

/** Score multipliers a verdict puts on the series' threshold, over the judged episode's peak. */
const FEEDBACK_MARGIN = { normal: 1.05, noise: 1.25 } as const;

function seriesKey(userId: string, labels: Readonly<Record<string, string>>): string {
  let key = `${userId}\u0000`;
  for (const name of Object.keys(labels).sort()) key += `${name}\u0001${labels[name]}\u0002`;
  return key;
}

/**
 * Streaming detection: every appended sample of every user's series is scored causally by that
 * series' detector (the core ensemble); scores, expected values and bands are written back as
 * series, and runs of high scores open, extend and close anomaly records. Work is queued so that
 * ingestion never waits for scoring.
 */
export function createDetectionEngine({ store, anomalies, states, clock, logger, settings, metrics, onWatermark }: Deps) {
  const series = new Map<string, SeriesState>();
  const queue: Array<{ userId: string; batch: SeriesBatch; samples: number; queuedAt: number }> = [];
  let queued = 0;
  let dropped = 0;
  let draining: Promise<void> | null = null;
  const idleWaiters: Array<() => void> = [];
  const userSettings = new Map<string, UserDetectionSettings>();
  const hosts = new Map<string, { detector: HostDetector; episode: EpisodeState }>();
  /** Series checkpointed and dropped from memory while idle. */
  const evicted = new Set<string>();
  const evictIdleMs = settings.evictIdleMs ?? DEFAULT_EVICT_IDLE_MS;
  const configFor = (userId: string, labels: Readonly<Record<string, string>>): Partial<DetectorConfig> => ({
    ...settings.detector,
    ...seriesDetectorConfig(userSettings.get(userId), labels, settings.detector.sensitivity ?? 1),
  });

  /**
   * A checkpoint this build cannot read (written by a build with another detector state layout)
   * costs that series its learning, not the process: it starts a fresh detector, keeps its
   * episode and `lastT` (nothing is scored twice), and `relearning` counts it for the log.
   */
  let relearning = 0;
  function detectorFromRow(row: DetectorStateRow, config: Partial<DetectorConfig>): SeriesDetector {
    try {
      return restoreSeriesDetector(new Uint8Array(Buffer.from(row.state, "base64")), config);
    } catch {
      relearning++;
      return createSeriesDetector(config);
    }
  }

  /** One warning for the checkpoints found unreadable since the last one. */
  function warnRelearning(): void {
    if (relearning > 0) logger.warn({ series: relearning }, "detector checkpoints unreadable (another state layout): those series learn again");
    relearning = 0;
  }

  function fromRow(row: DetectorStateRow): SeriesState {
    const labels = JSON.parse(row.labels) as Record<string, string>;
    const detector = detectorFromRow(row, configFor(row.user_id, labels));
    const episode = JSON.parse(row.episode) as EpisodeState;
    return { userId: row.user_id, key: row.series_key, labels, detector, episode, threshold: row.threshold, lastT: row.last_t, dirty: false };
  }

  async function stateOf(userId: string, labels: Readonly<Record<string, string>>): Promise<SeriesState> {
    const key = seriesKey(userId, labels);
    let state = series.get(key);
    if (!state && evicted.has(key)) {
      evicted.delete(key);
      const row = await states.find(userId, key);
      if (row) {
        series.set(key, (state = fromRow(row)));
        warnRelearning();
      }
    }
    if (!state) {
      state = { userId, key, labels: ownLabels(labels), detector: createSeriesDetector(configFor(userId, labels)), episode: newEpisodeState(), threshold: 1, lastT: -Infinity, dirty: true };
      series.set(key, state);
    }
    return state;
  }

  /** Anomaly record changes of one batch, applied in sample-time order once it is scored. */
  type RecordAction = { t: number; apply: () => Promise<void> };

  /**
   * Records what an episode event means for the anomaly records. Scoring runs series by series, so
   * within a batch (a backfill carries hours per series) the events are collected and applied in
   * sample-time order afterwards: incidents see anomalies open and close as they would have live.
   */
  function recordEvent(
    actions: RecordAction[],
    userId: string,
    event: ReturnType<typeof stepEpisode>,
    t: number,
    labels: Readonly<Record<string, string>>,
    value: number,
    observation: () => AnomalyObservation | undefined,
  ): void {
    if (event === "open" || event === "extend") {
      const o = observation();
      if (o) actions.push({ t, apply: () => anomalies.observeAnomaly(userId, o).then(() => undefined) });
    } else if (event === "close") {
      actions.push({ t, apply: () => anomalies.closeAnomaly(userId, labels, t, value) });
    }
  }

  async function applyInTimeOrder(actions: RecordAction[]): Promise<void> {
    // Array.prototype.sort is stable: events at one instant keep the order they were scored in.
    actions.sort((a, b) => a.t - b.t);
    for (const action of actions) await action.apply();
  }

  /** `hostsToo`: false when replaying one series at a time, which would hand hosts partial scrapes. */
  async function score(userId: string, batch: SeriesBatch, hostsToo = true): Promise<void> {
    const output: Array<SeriesBatch[number]> = [];
    const actions: RecordAction[] = [];
    let latest = Number.NEGATIVE_INFINITY;
    // In llm mode the LLM's batch analysis reports the anomalies; the detectors still write their series.
    const llmMode = userSettings.get(userId)?.mode === "llm";
    for (const item of batch) {
      const last = item.samples[item.samples.length - 1];
      if (last !== undefined && last.t > latest) latest = last.t;
      const metric = item.labels.__name__ ?? "";
      if (!isDetectable(metric)) continue;
      const state = await stateOf(userId, item.labels);
      const outputSamples: Array<Array<{ t: number; v: number }>> = OUTPUT_METRICS.map(() => []);
      for (const sample of item.samples) {
        // Already scored (a replay overlapping what was scored before the restart).
        if (sample.t <= state.lastT) continue;
        if (isStaleNaN(sample.v)) continue;
        const scored = state.detector.score(sample.t, sample.v);
        state.lastT = sample.t;
        state.dirty = true;
        if (!Number.isFinite(scored.expected)) continue;
        outputSamples[0]!.push({ t: sample.t, v: scored.score });
        outputSamples[1]!.push({ t: sample.t, v: scored.expected });
        outputSamples[2]!.push({ t: sample.t, v: scored.lower });
        outputSamples[3]!.push({ t: sample.t, v: scored.upper });
        const event = stepEpisode(state.episode, scored.score, state.threshold, settings.episode);
        if (llmMode) continue;
        recordEvent(actions, userId, event, sample.t, item.labels, scored.value, () =>
          scored.direction === null
            ? undefined
            : {
                labels: item.labels,
                t: sample.t,
                score: scored.score,
                value: scored.value,
                rate: scored.rate,
                expected: scored.expected,
                lower: scored.lower,
                upper: scored.upper,
                direction: scored.direction,
                votes: scored.votes,
              },
        );
      }
      OUTPUT_METRICS.forEach((name, i) => {
        if (outputSamples[i]!.length > 0) output.push({ labels: outputLabels(item.labels, name), samples: outputSamples[i]! });
      });
    }
    if (hostsToo) output.push(...scoreHosts(userId, batch, llmMode, actions));
    await applyInTimeOrder(actions);
    if (output.length > 0) {
      const result = await store.append(userId, output);
      if (result.rejected > 0) logger.warn({ user_id: userId, rejected: result.rejected, reason: result.rejections[0]?.reason }, "detection output rejected by the store");
    }
    if (onWatermark && Number.isFinite(latest)) await onWatermark(userId, latest);
  }

  /**
   * The per-host multivariate detector: node_exporter series grouped by instance and scrape time,
   * scored as one vector; writes auspex_anomaly_score{source_metric="host"} and records whose
   * contributors name the indicators behind them.
   */
  function scoreHosts(userId: string, batch: SeriesBatch, llmMode: boolean, actions: RecordAction[]): Array<SeriesBatch[number]> {
    const scrapes = new Map<string, { instance: string; job: string | undefined; t: number; samples: HostSample[] }>();
    for (const item of batch) {
      const instance = item.labels.instance;
      if (instance === undefined || !(item.labels.__name__ ?? "").startsWith("node_")) continue;
      for (const sample of item.samples) {
        const key = `${instance}\u0000${sample.t}`;
        let scrape = scrapes.get(key);
        if (!scrape) scrapes.set(key, (scrape = { instance, job: item.labels.job, t: sample.t, samples: [] }));
        scrape.samples.push({ labels: item.labels, value: sample.v });
      }
    }
    const output: Array<SeriesBatch[number]> = [];
    for (const scrape of [...scrapes.values()].sort((a, b) => a.t - b.t)) {
      const hostKey = `${userId}\u0000${scrape.instance}`;
      let host = hosts.get(hostKey);
      if (!host) hosts.set(hostKey, (host = { detector: createHostDetector(), episode: newEpisodeState() }));
      const scored = host.detector.score(scrape.t, scrape.samples);
      if (!scored) continue;
      const labels: Record<string, string> = { __name__: "host", instance: scrape.instance, ...(scrape.job !== undefined && { job: scrape.job }) };
      output.push({ labels: outputLabels(labels, "auspex_anomaly_score"), samples: [{ t: scrape.t, v: scored.score }] });
      const event = stepEpisode(host.episode, scored.score, 1, settings.episode);
      if (llmMode) continue;
      const top = scored.contributors.slice(0, 3);
      recordEvent(actions, userId, event, scrape.t, labels, scored.score, () => ({
        labels,
        t: scrape.t,
        score: scored.score,
        value: scored.score,
        expected: 0,
        lower: 0,
        upper: 1,
        direction: "up",
        votes: { isolation_forest: scored.score },
        contributors: scored.contributors.slice(0, 5),
        summary: `unusual combination of indicators on ${scrape.instance}: ${top.map((c) => `${c.indicator} (${Math.round(c.weight * 100)}%)`).join(", ")}`,
      }));
    }
    return output;
  }

  async function drain(): Promise<void> {
    for (let next = queue.shift(); next; next = queue.shift()) {
      queued -= next.samples;
      try {
        await score(next.userId, next.batch);
        metrics?.detection.lag.observe((performance.now() - next.queuedAt) / 1000);
        metrics?.detection.samples.inc(next.samples);
      } catch (error) {
        logger.error({ error, user_id: next.userId }, "scoring a batch failed");
      }
      // Yield between batches so HTTP requests and scrapes are served while a backlog is scored.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    draining = null;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  function checkpointRow(state: SeriesState, now: string): DetectorStateRow {
    return {
      user_id: state.userId,
      series_key: state.key,
      labels: JSON.stringify(state.labels),
      state: Buffer.from(state.detector.snapshot()).toString("base64"),
      episode: JSON.stringify(state.episode),
      threshold: state.threshold,
      last_t: state.lastT,
      updated_at: now,
    };
  }

  return {
    /**
     * Writes the detectors that changed since the last checkpoint. Each snapshot covers exactly the
     * samples up to its series' `lastT`, whatever is still queued.
     */
    async checkpoint(): Promise<number> {
      const now = clock.now().toISOString();
      const rows: DetectorStateRow[] = [];
      for (const state of series.values()) {
        if (!state.dirty || state.lastT === -Infinity) continue;
        rows.push(checkpointRow(state, now));
        state.dirty = false;
      }
      await states.save(rows);
      const idleBefore = clock.now().getTime() - evictIdleMs;
      for (const [key, state] of series) {
        if (state.dirty || state.lastT >= idleBefore) continue;
        series.delete(key);
        evicted.add(key);
      }
      return rows.length;
    },

    /**
     * Loads the checkpointed detectors and scores what each series stored after its checkpoint,
     * so a restart continues where the last run stopped instead of re-learning.
     */
    async restore(all: ReadonlyMap<string, UserDetectionSettings> = new Map()): Promise<void> {
      for (const [userId, value] of all) userSettings.set(userId, value);
      const rows = await states.loadAll();
      const idleBefore = clock.now().getTime() - evictIdleMs;
      for (const row of rows) {
        if (row.last_t < idleBefore) evicted.add(row.series_key);
        else series.set(row.series_key, fromRow(row));
      }
      const now = clock.now().getTime();
      for (const state of series.values()) {
        const matchers = Object.entries(state.labels).map(([name, value]) => ({ type: "=" as const, name, value }));
        const found = await store.select(state.userId, matchers, state.lastT + 1, now);
        const exact = found.find((s) => Object.keys(s.labels).length === Object.keys(state.labels).length);
        if (!exact || exact.timestamps.length === 0) continue;
        const samples = Array.from(exact.timestamps, (t, i) => ({ t, v: exact.values[i] ?? Number.NaN }));
        await score(state.userId, [{ labels: state.labels, samples }], false);
      }
      warnRelearning();
      logger.info({ series: rows.length }, "detectors restored");
    },

    /** A user's new settings, applied to the series already learning (their state is kept). */
    applySettings(userId: string, value: UserDetectionSettings): void {
      userSettings.set(userId, value);
      for (const state of series.values()) {
        if (state.userId === userId) state.detector = restoreSeriesDetector(state.detector.snapshot(), configFor(userId, state.labels));
      }
    },

    /** Queues appended samples for scoring; returns at once. */
    observe(userId: string, batch: SeriesBatch): void {
      let samples = 0;
      for (const item of batch) samples += item.samples.length;
      if (samples === 0) return;
      queue.push({ userId, batch, samples, queuedAt: performance.now() });
      queued += samples;
      while (queued > settings.maxQueuedSamples && queue.length > 1) {
        const old = queue.shift()!;
        queued -= old.samples;
        dropped += old.samples;
        metrics?.detection.dropped.inc(old.samples);
        logger.warn({ dropped_samples: old.samples, total_dropped: dropped }, "detection is behind: oldest samples not scored");
      }
      draining ??= drain();
    },

    /** Resolves when everything observed so far is scored (tests, shutdown). */
    idle(): Promise<void> {
      if (draining === null) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    /**
     * Feedback on an anomaly of a series: "normal" and "noise" raise the score that series must
     * exceed above the judged episode's peak, so the same pattern no longer opens an anomaly;
     * "confirmed" leaves it as it is.
     */
    onFeedback: ((event) => {
      if (event.verdict === "confirmed") return;
      const state = series.get(seriesKey(event.userId, event.labels));
      if (!state) return;
      state.threshold = Math.max(state.threshold, event.peakScore * FEEDBACK_MARGIN[event.verdict]);
      state.dirty = true;
    }) satisfies FeedbackListener,

    /** Samples skipped because scoring fell too far behind. */
    get droppedSamples(): number {
      return dropped;
    },

    /** Series with a detector in memory. */
    get size(): number {
      return series.size;
    },

  };
}

export type DetectionEngine = ReturnType<typeof createDetectionEngine>;
