import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { FastifyInstance } from "fastify";
import { buildApp } from "#server/api/app.ts";
import type { Config, MetricStoreTarget } from "#server/config/load-config.ts";
import { createAiModule, type AiModule } from "#server/modules/ai/index.ts";
import { createAnomaliesModule, type AnomaliesService } from "#server/modules/anomalies/index.ts";
import { createAuthModule, loadOrCreateJwtSecret, type AuthModule } from "#server/modules/auth/index.ts";
import { createHealthService, type ComponentStatus } from "#server/modules/health/index.ts";
import { createBatchAnalysisModule, createIncidentsModule, createRcaNarrator, type BatchAnalyzer, createSeriesValues, type IncidentsService, type RootCauseAnalyzer } from "#server/modules/incidents/index.ts";
import { createAnalysisService } from "#server/modules/analysis/index.ts";
import { createRcaModule } from "#server/modules/rca/index.ts";
import { createRemoteWriteService } from "#server/modules/ingest/index.ts";
import { createMetadataModule } from "#server/modules/metadata/index.ts";
import {
  createDetectionEngine,
  createDetectionSettingsRepository,
  createDetectionSettingsService,
  createDetectorStatesRepository,
  type DetectionEngine,
} from "#server/modules/detection/index.ts";
import { createEmbeddedMetricStore, createExternalMetricStore, withAppendObserver, type MetricStore } from "#server/modules/metric-store/index.ts";
import { createQueryService, type QueryService } from "#server/modules/query/index.ts";
import { builtinScrapeJobs, createHostCollector } from "#server/modules/collection/index.ts";
import { createScrapeScheduler, createScrapeService, type ScrapeJob, type ScrapeScheduler } from "#server/modules/scrape/index.ts";
import { createTargetsModule } from "#server/modules/targets/index.ts";
import { createRulesModule, type RulesModule } from "#server/modules/rules/index.ts";
import { createAlertingModule, type AlertingService } from "#server/modules/alerting/index.ts";
import { createNotificationsModule, loadOrCreateSecretsKey, type NotificationsModule } from "#server/modules/notifications/index.ts";
import { systemClock, type Clock } from "#server/platform/clock.ts";
import { moduleLogger, type Logger } from "#server/platform/logger.ts";
import { createMetrics, registerCollectedGauge, type Metrics } from "#server/platform/metrics.ts";
import { createOutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import { openDatabase, type Database } from "#server/storage/database.ts";

/** How often detector states are checkpointed (a crash re-scores at most this much from the store). */
const CHECKPOINT_INTERVAL_MS = 60_000;

/** How often the scrape schedule is re-read besides target changes (the instance owner may have appeared). */
const RESYNC_INTERVAL_MS = 10_000;

export const VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export interface Auspex {
  app: FastifyInstance;
  /** The AI layer: LLM providers with fallback, usage and budget (modules/ai). */
  ai: AiModule;
  /** Anomaly records (the detection engine writes them; tests seed them). */
  anomalies: AnomaliesService;
  /** Incidents grouped from anomalies (tests wait for their analyses). */
  incidents: IncidentsService;
  /** Seed 000's batch windows (tests run them by hand). */
  batches: BatchAnalyzer;
  /** Streaming detection, when on (tests wait for it to catch up). */
  detection: DetectionEngine | undefined;
  /** The scrape schedule, when scraping is on (tests await scrapes through it). */
  scheduler: ScrapeScheduler | undefined;
  database: Database;
  auth: AuthModule;
  metrics: Metrics;
  metricStore: MetricStore;
  /** PromQL over users' data (tests and evaluations read through it). */
  query: QueryService;
  /** Prometheus rule files and their evaluation (tests evaluate groups through it). */
  rules: RulesModule;
  /** Alerts, routing, silences and flushes into the outbox (tests flush by hand). */
  alerting: AlertingService;
  /** Notification channels, the outbox and its delivery worker (modules/notifications). */
  notifications: NotificationsModule;
  /** Stops the HTTP server (in-flight requests finish) and then closes the database. */
  close(): Promise<void>;
}

/** The composition root shared by main.ts and the tests: storage → modules → transport. */
export async function createAuspex(config: Config, options: { logger: Logger; clock?: Clock }): Promise<Auspex> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const database = await openDatabase(config.database, { busyTimeoutMs: config.sqliteBusyTimeoutMs });
  let metricStore: MetricStore | undefined;
  let scheduler: ScrapeScheduler | undefined;
  let rules: RulesModule | undefined;
  let resync: NodeJS.Timeout | undefined;
  let checkpoints: NodeJS.Timeout | undefined;
  let batchTimer: NodeJS.Timeout | undefined;
  let notifier: NotificationsModule | undefined;
  try {
    const store = openMetricStore(config.metricStore, clock, config.query.timeoutMs, moduleLogger(logger, "metric-store"));
    metricStore = store.store;
    const metrics = createMetrics();
    const auth = createAuthModule({
      db: database.db,
      clock,
      logger: moduleLogger(logger, "auth"),
      metrics,
      jwtSecret: loadOrCreateJwtSecret(config.auth.jwtSecret, config.dataDir),
      accessTokenTtlSeconds: config.auth.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
      argon2: config.auth.argon2,
      // The first account becomes the instance owner: schedule its built-in jobs at once.
      onUserRegistered: () => void scheduler?.sync(),
    });
    registerCollectedGauge(metrics, "auspex_active_sessions", "Login sessions neither revoked nor expired", () => auth.auth.countActiveSessions());
    const ai = createAiModule({ db: database.db, clock, metrics, version: VERSION, settings: config.llm, logger: moduleLogger(logger, "ai") });
    const health = createHealthService({
      version: VERSION,
      startedAt: clock.now(),
      clock,
      database,
      llm: { known: config.llm.known, providers: () => ai.describeProviders() },
      metricStore: store.probe,
    });
    const metadata = createMetadataModule({ db: database.db, clock });
    const query = createQueryService({ store: store.store, limits: config.query, clock });
    // Detection sees every sample stored through the ingest paths and writes its output series to the plain store.
    let detection: DetectionEngine | undefined;
    // Anomalies feed incidents, incidents read anomalies, ingest counts samples for batches: bound once all exist.
    const late: { incidents?: IncidentsService; batches?: BatchAnalyzer; alerting?: AlertingService } = {};
    const anomalies = createAnomaliesModule({
      db: database.db,
      clock,
      onFeedback: (event) => detection?.onFeedback(event),
      onEvent: async (event) => {
        await late.incidents?.onAnomalyEvent(event);
        await late.alerting?.onAnomaly(event.userId, event.anomaly, event.value);
      },
    });
    if (config.detection.enabled) {
      detection = createDetectionEngine({
        store: store.store,
        anomalies,
        states: createDetectorStatesRepository(database.db),
        clock,
        metrics,
        logger: moduleLogger(logger, "detection"),
        onWatermark: async (userId, t) => late.incidents?.advanceWatermark(userId, t),
        settings: {
          detector: { sensitivity: config.detection.sensitivity },
          episode: { openAfter: config.detection.openAfter, closeAfter: config.detection.closeAfter },
          maxQueuedSamples: config.detection.maxQueuedSamples,
        },
      });
    }
    const engine = detection;
    const detectionSettings = createDetectionSettingsService({
      settings: createDetectionSettingsRepository(database.db),
      clock,
      onChange: (userId, value) => engine?.applySettings(userId, value),
    });
    if (engine) {
      await engine.restore(await detectionSettings.loadAllDetectionSettings());
      checkpoints = setInterval(() => void engine.checkpoint().catch((error: unknown) => logger.error({ error }, "detector checkpoint failed")), CHECKPOINT_INTERVAL_MS);
      checkpoints.unref();
    }
    const ingestStore = withAppendObserver(store.store, (userId, batch) => {
      engine?.observe(userId, batch);
      let count = 0;
      for (const item of batch) count += item.samples.length;
      late.batches?.noteSamples(userId, count);
    });
    const remoteWrite = createRemoteWriteService({ store: ingestStore, metadata, limits: config.remoteWrite, clock });
    const outbound = createOutboundPolicy(config.outbound);
    const targets = createTargetsModule({
      db: database.db,
      clock,
      logger: moduleLogger(logger, "targets"),
      outbound,
      fileSdPath: config.targets.fileSdPath,
      onChange: () => void scheduler?.sync(),
    });
    const notifications = createNotificationsModule({
      db: database.db,
      clock,
      logger: moduleLogger(logger, "notifications"),
      metrics,
      outbound,
      secretsKey: loadOrCreateSecretsKey(config.notifications.secretsKey, config.dataDir),
      settings: config.notifications,
      userAgent: `Auspex/${VERSION}`,
      ...(config.publicUrl !== undefined && { publicUrl: config.publicUrl }),
      onDeliveryFailed: async (failure) => late.alerting?.recordDeliveryFailure(failure.userId, failure.notification, failure.reason),
    });
    notifier = notifications;
    notifications.start();
    const externalURL = (config.publicUrl ?? `http://${config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host}:${config.port}`).replace(/\/$/, "");
    const alerting = createAlertingModule({
      db: database.db,
      clock,
      logger: moduleLogger(logger, "alerting"),
      externalURL,
      channels: {
        listChannels: async (userId) =>
          (await notifications.listChannels({ kind: "session", userId, sessionId: "alerting" })).filter((c) => c.enabled).map((c) => ({ id: c.id, name: c.name })),
      },
      outbox: { enqueue: (tx, items) => notifications.enqueue(tx, items), wake: () => notifications.worker.wake() },
    });
    late.alerting = alerting;
    const rca = createRcaModule({ query, clock });
    const analyzer: RootCauseAnalyzer = {
      analyzeRootCause: async (userId, input) => {
        const result = await rca.analyzeRootCause({ kind: "session", userId, sessionId: "incidents" }, input);
        if (!result) throw new Error("no evidence to analyse");
        return result;
      },
    };
    const modeOf = (userId: string) => detectionSettings.getDetectionMode(userId);
    const incidents = createIncidentsModule({
      db: database.db,
      clock,
      logger: moduleLogger(logger, "incidents"),
      anomalies,
      analyzer,
      narrator: createRcaNarrator({ ai, modeOf, clock }),
      countTargets: (userId) => targets.countTargets(userId),
      seriesValues: createSeriesValues(query),
      settings: config.incidents,
      onChange: async (userId, incident, rcaResult) => {
        await late.alerting?.onIncident(userId, {
          id: incident.id,
          title: incident.title,
          severity: incident.severity,
          summary: rcaResult?.summary ?? incident.title,
          rootCause: rcaResult?.root_cause ?? "not determined",
          immediate: rcaResult?.fix_plan.immediate ?? [],
          anomalies: incident.anomaly_count,
          confidence: rcaResult?.confidence ?? 0,
          windowStart: incident.started_at,
          windowEnd: incident.resolved_at ?? incident.last_activity_at,
          url: `${externalURL}/incidents/${incident.id}`,
          status: incident.status,
          targets: incident.targets,
          acknowledgedNote: incident.acknowledged_note,
        });
      },
    });
    late.incidents = incidents;
    const analysis = createAnalysisService({ anomalies, incidents, analyzer, query, ai, modeOf, clock });
    const batches = createBatchAnalysisModule({
      db: database.db,
      anomalies,
      query,
      ai,
      modeOf,
      clock,
      logger: moduleLogger(logger, "batches"),
      settings: { intervalMs: config.batches.intervalMs, maxPromptSeries: config.batches.maxPromptSeries },
    });
    late.batches = batches;
    if (config.batches.enabled) {
      batchTimer = setInterval(() => void batches.runBatches(), config.batches.intervalMs);
      batchTimer.unref();
    }
    const scrapeLogger = moduleLogger(logger, "scrape");
    const scraper = createScrapeService({
      store: ingestStore,
      metadata,
      recordScrape: (target, outcome) => targets.recordScrape(target, outcome),
      outbound,
      clock,
      logger: scrapeLogger,
      limits: { ...config.scrape, maxActiveSeries: config.remoteWrite.maxActiveSeries },
      userAgent: `Auspex/${VERSION}`,
    });
    if (config.scrape.enabled) {
      const host = config.scrape.hostCollector ? createHostCollector() : undefined;
      const self = config.scrape.selfScrape ? { contentType: metrics.registry.contentType, metrics: () => metrics.registry.metrics() } : undefined;
      const listJobs = async (): Promise<ScrapeJob[]> => {
        const owner = await auth.auth.findInstanceOwner(config.scrape.owner);
        const builtin =
          owner === undefined
            ? []
            : builtinScrapeJobs({
                ownerId: owner.id,
                host,
                self,
                intervalMs: config.scrape.builtinIntervalMs,
                hostInstance: hostname(),
                selfInstance: `${config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host}:${config.port}`,
              });
        return [...(await targets.listScrapeTargets()), ...builtin];
      };
      scheduler = createScrapeScheduler({ listTargets: listJobs, scraper, logger: scrapeLogger, maxConcurrent: config.scrape.concurrency });
      await scheduler.sync();
      // Picks up the instance owner once the first user registers (and any change made by another process).
      resync = setInterval(() => void scheduler?.sync(), RESYNC_INTERVAL_MS);
      resync.unref();
    }
    // Rule output goes to the plain store (like detection's output); alerts go to `sink` (the alerting pipeline connects there).
    rules = createRulesModule({
      db: database.db,
      clock,
      logger: moduleLogger(logger, "rules"),
      query,
      store: store.store,
      settings: config.rules,
      sink: (userId, update) =>
        alerting.onRuleAlerts(
          userId,
          `${update.file}/${update.group}`,
          update.alerts.map((a) => ({
            labels: a.labels,
            annotations: a.annotations,
            state: a.state === "inactive" ? "resolved" : a.state,
            startsAt: a.activeAt,
            ...(a.resolvedAt !== undefined && { endsAt: a.resolvedAt }),
            value: a.value,
            ...(a.generatorURL !== undefined && { generatorURL: a.generatorURL }),
          })),
        ),
    });
    await alerting.start();
    await rules.start();
    const ruleModule = rules;
    const app = await buildApp({ config, version: VERSION, logger, metrics, auth, health, clock, query, remoteWrite, metadata, targets, notifications, anomalies, detectionSettings, incidents, analysis, rules: ruleModule.service, alerting });
    return {
      app,
      ai,
      anomalies,
      incidents,
      batches,
      detection,
      scheduler,
      database,
      auth,
      metrics,
      metricStore: store.store,
      rules: ruleModule,
      alerting,
      query,
      notifications,
      async close() {
        clearInterval(resync);
        clearInterval(checkpoints);
        clearInterval(batchTimer);
        await scheduler?.close();
        await ruleModule.close();
        alerting.close();
        await app.close();
        await query.close();
        await notifications.stop();
        await ai.close();
        // What was stored is scored and checkpointed, so the next start continues from here.
        await detection?.idle();
        await incidents.idle();
        await detection?.checkpoint();
        await store.store.close();
        await database.close();
      },
    };
  } catch (error) {
    clearInterval(resync);
    clearInterval(checkpoints);
    clearInterval(batchTimer);
    await scheduler?.close();
    await rules?.close();
    await notifier?.stop();
    await metricStore?.close();
    await database.close();
    throw error;
  }
}

/** The embedded TSDB under the data directory, or an external Prometheus-compatible server. */
function openMetricStore(
  target: MetricStoreTarget,
  clock: Clock,
  timeoutMs: number,
  log: Logger,
): { store: MetricStore; probe: () => Promise<ComponentStatus> } {
  if (target.kind === "external") {
    const store = createExternalMetricStore({ url: target.url, writeUrl: target.writeUrl, ownerLabel: target.ownerLabel, timeoutMs });
    return { store, probe: () => probeStore(store, "prometheus") };
  }
  const store = createEmbeddedMetricStore({
    dir: target.dir,
    retentionMs: target.retentionMs,
    retentionBytes: target.retentionBytes,
    outOfOrderWindowMs: target.outOfOrderWindowMs,
    clock,
    onMaintenanceError: (error) => log.error({ error }, "metric store maintenance failed"),
  });
  return { store, probe: () => probeStore(store, "embedded") };
}

async function probeStore(store: MetricStore, type: string): Promise<ComponentStatus> {
  try {
    await store.stats();
    return { status: "connected", type, error: null };
  } catch (error) {
    return { status: "error", type, error: (error as Error).message };
  }
}
