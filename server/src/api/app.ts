import cors from "@fastify/cors";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import type { Config } from "#server/config/load-config.ts";
import { registerAuthentication } from "#server/api/plugins/authenticate.ts";
import { registerErrorHandler } from "#server/api/plugins/error-handler.ts";
import { registerOpenApi } from "#server/api/plugins/openapi.ts";
import { createRateLimitHooks } from "#server/api/plugins/rate-limit.ts";
import { registerRequestContext, requestIdFor } from "#server/api/plugins/request-context.ts";
import { registerSecurityHeaders } from "#server/api/plugins/security-headers.ts";
import { registerAnomalyRoutes } from "#server/api/routes/anomalies.routes.ts";
import { registerIncidentRoutes } from "#server/api/routes/incidents.routes.ts";
import { registerAlertingRoutes } from "#server/api/routes/alerting.routes.ts";
import { registerAnalysisRoutes } from "#server/api/routes/analysis.routes.ts";
import { registerApiKeyRoutes } from "#server/api/routes/api-keys.routes.ts";
import { registerDetectionRoutes } from "#server/api/routes/detection.routes.ts";
import { registerAuthRoutes } from "#server/api/routes/auth.routes.ts";
import { registerHealthRoutes } from "#server/api/routes/health.routes.ts";
import { registerMetricsRoutes } from "#server/api/routes/metrics.routes.ts";
import { registerPrometheusRoutes } from "#server/api/routes/prometheus/prometheus.routes.ts";
import { registerTargetRoutes } from "#server/api/routes/targets.routes.ts";
import { registerRuleRoutes } from "#server/api/routes/rules.routes.ts";
import { registerNotificationRoutes } from "#server/api/routes/notifications.routes.ts";
import type { AnomaliesService } from "#server/modules/anomalies/index.ts";
import type { IncidentsService } from "#server/modules/incidents/index.ts";
import type { AlertingService } from "#server/modules/alerting/index.ts";
import type { AnalysisService } from "#server/modules/analysis/index.ts";
import type { AuthModule } from "#server/modules/auth/index.ts";
import type { DetectionSettingsService } from "#server/modules/detection/index.ts";
import type { HealthService } from "#server/modules/health/index.ts";
import type { RemoteWriteService } from "#server/modules/ingest/index.ts";
import type { MetadataService } from "#server/modules/metadata/index.ts";
import type { QueryService } from "#server/modules/query/index.ts";
import type { TargetsService } from "#server/modules/targets/index.ts";
import type { RulesService } from "#server/modules/rules/index.ts";
import type { NotificationsModule } from "#server/modules/notifications/index.ts";
import type { Clock } from "#server/platform/clock.ts";
import { moduleLogger, type Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";

export interface AppDeps {
  config: Config;
  version: string;
  logger: Logger;
  metrics: Metrics;
  auth: AuthModule;
  health: HealthService;
  clock: Clock;
  query: QueryService;
  remoteWrite: RemoteWriteService;
  metadata: MetadataService;
  targets: TargetsService;
  /** Prometheus rule files (modules/rules); routes are registered when present. */
  rules?: RulesService;
  notifications: NotificationsModule;
  anomalies: AnomaliesService;
  incidents: IncidentsService;
  analysis: AnalysisService;
  alerting: AlertingService;
  detectionSettings: DetectionSettingsService;
}

/** The Fastify transport: plugins, then each module's routes. Used by main.ts and by tests. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  // Typed as FastifyBaseLogger (pino's Logger is one) so the app keeps Fastify's default instance type.
  const loggerInstance: FastifyBaseLogger = moduleLogger(deps.logger, "api");
  const app = Fastify({
    loggerInstance,
    // Our onResponse hook writes the one access-log line per request.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "request_id" }),
    requestIdHeader: false,
    genReqId: (request) => requestIdFor(request.headers["x-request-id"]),
    trustProxy: trustProxyOption(config.http.trustProxy),
    bodyLimit: config.http.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only, unless a route registers its own parser (remote_write will): text/plain is a 415.
  app.removeContentTypeParser("text/plain");

  registerErrorHandler(app);
  registerRequestContext(app, deps.metrics);
  registerSecurityHeaders(app, { https: config.publicUrl?.startsWith("https:") ?? false });
  await app.register(cors, {
    origin: config.http.corsOrigins.length > 0 ? [...config.http.corsOrigins] : false,
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    credentials: true,
    exposedHeaders: ["x-request-id", "retry-after"],
  });
  await registerOpenApi(app, { version: deps.version, publicUrl: config.publicUrl });
  registerAuthentication(app, deps.auth);
  const limits = createRateLimitHooks(config.rateLimit, deps.clock, () => deps.auth.auth.recordAuthFailure("rate_limited"));

  registerHealthRoutes(app, deps.health);
  registerMetricsRoutes(app, deps.metrics);
  registerAuthRoutes(app, deps.auth, limits);
  registerApiKeyRoutes(app, deps.auth, limits);
  registerTargetRoutes(app, deps.targets, limits);
  if (deps.rules) await registerRuleRoutes(app, deps.rules, limits);
  registerNotificationRoutes(app, deps.notifications, limits);
  registerAnomalyRoutes(app, deps.anomalies, limits);
  registerIncidentRoutes(app, deps.incidents, limits);
  registerAnalysisRoutes(app, deps.analysis, limits);
  registerAlertingRoutes(app, deps.alerting, limits, async (actor) => (await deps.auth.auth.getMe(actor)).username);
  registerDetectionRoutes(app, deps.detectionSettings, limits);
  await registerPrometheusRoutes(app, {
    query: deps.query,
    remoteWrite: deps.remoteWrite,
    metadata: deps.metadata,
    version: deps.version,
    limits,
    clock: deps.clock,
    writeBodyLimitBytes: config.remoteWrite.bodyLimitBytes,
  });
  return app;
}

/** A hop count trusts that many proxies in front of Auspex, as proxy-addr does. */
function trustProxyOption(setting: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === "number" ? (_address, hop) => hop < setting : setting;
}
