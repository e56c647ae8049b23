import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  AcknowledgeAlertRequest,
  Alert,
  AlertFilters,
  AlertHistory,
  AlertHistoryFilters,
  AlertingConfig,
  AlertingConfigResponse,
  AlertList,
  CreateMaintenanceWindowRequest,
  CreateSilenceRequest,
  ExternalAlertsRequest,
  ExternalAlertsResponse,
  MaintenanceWindow,
  MaintenanceWindowList,
  Silence,
  SilenceList,
} from "@auspex/shared/contracts/alerting.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { IdParams, NoContent, bearerSecurity, errorResponses, machineSecurity } from "#server/api/routes/common.ts";
import type { AlertingService } from "#server/modules/alerting/index.ts";
import type { Actor } from "#server/platform/actor.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } = errorResponses;

/**
 * Alerts, their history and acknowledgement; the routing tree; silences and maintenance windows;
 * and the webhook an existing Prometheus or Alertmanager posts to. Reading needs `read`, changing
 * needs a person or `admin`, posting alerts needs `ingest`.
 */
export function registerAlertingRoutes(app: FastifyInstance, alerting: AlertingService, limits: RateLimiters, authorOf: (actor: Actor) => Promise<string>): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["alerting"];

  routes.get("/api/v1/alerts", {
    schema: { tags, summary: "The user's alerts with their state, muting and acknowledgement", security: bearerSecurity, querystring: AlertFilters, response: { 200: AlertList, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ alerts: await alerting.listAlerts(actorOf(request), request.query) }),
  });

  routes.get("/api/v1/alerts/history", {
    schema: { tags, summary: "Every state change, notification and acknowledgement, newest first", security: bearerSecurity, querystring: AlertHistoryFilters, response: { 200: AlertHistory, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ history: await alerting.listHistory(actorOf(request), request.query) }),
  });

  routes.post("/api/v1/alerts/:id/ack", {
    schema: {
      tags,
      summary: "Acknowledge an alert with a note: no more repeats or escalation (it still resolves)",
      security: bearerSecurity,
      params: IdParams,
      body: AcknowledgeAlertRequest,
      response: { 200: Alert, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => {
      const actor = actorOf(request);
      return alerting.acknowledgeAlert(actor, request.params.id, request.body.note, await authorOf(actor));
    },
  });

  routes.post("/api/v1/alerts/webhook", {
    schema: {
      tags,
      summary: "Alerts from an existing Prometheus (the /api/v2/alerts array) or Alertmanager (webhook version 4)",
      security: machineSecurity,
      body: ExternalAlertsRequest,
      response: { 200: ExternalAlertsResponse, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "ingest" },
    preHandler: limits.api,
    handler: async (request) => {
      const body = request.body;
      const alerts = Array.isArray(body) ? body : body.alerts;
      return { accepted: await alerting.receiveExternalAlerts(actorOf(request), alerts) };
    },
  });

  routes.get("/api/v1/alerting/config", {
    schema: { tags, summary: "The routing tree, inhibition rules and alert sources", security: bearerSecurity, response: { 200: AlertingConfigResponse, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => alerting.getAlertingConfig(actorOf(request)),
  });

  routes.put("/api/v1/alerting/config", {
    schema: { tags, summary: "Replace the routing tree, inhibition rules and alert sources", security: bearerSecurity, body: AlertingConfig, response: { 200: AlertingConfigResponse, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => alerting.putAlertingConfig(actorOf(request), request.body),
  });

  routes.get("/api/v1/silences", {
    schema: { tags, summary: "Silences (pending, active and expired)", security: bearerSecurity, response: { 200: SilenceList, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ silences: await alerting.listSilences(actorOf(request)) }),
  });

  routes.post("/api/v1/silences", {
    schema: { tags, summary: "Silence alerts matching the matchers until ends_at", security: bearerSecurity, body: CreateSilenceRequest, response: { 201: Silence, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request, reply) => {
      const actor = actorOf(request);
      return reply.code(201).send(await alerting.createSilence(actor, request.body, await authorOf(actor)));
    },
  });

  routes.delete("/api/v1/silences/:id", {
    schema: { tags, summary: "Expire a silence now", security: bearerSecurity, params: IdParams, response: { 204: NoContent, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request, reply) => {
      await alerting.expireSilence(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });

  routes.get("/api/v1/maintenance-windows", {
    schema: { tags, summary: "Recurring maintenance windows (weekly)", security: bearerSecurity, response: { 200: MaintenanceWindowList, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ windows: await alerting.listMaintenanceWindows(actorOf(request)) }),
  });

  routes.post("/api/v1/maintenance-windows", {
    schema: { tags, summary: "Mute matching alerts every week on these days from start for duration", security: bearerSecurity, body: CreateMaintenanceWindowRequest, response: { 201: MaintenanceWindow, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request, reply) => reply.code(201).send(await alerting.createMaintenanceWindow(actorOf(request), request.body)),
  });

  routes.delete("/api/v1/maintenance-windows/:id", {
    schema: { tags, summary: "Delete a maintenance window", security: bearerSecurity, params: IdParams, response: { 204: NoContent, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request, reply) => {
      await alerting.deleteMaintenanceWindow(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
