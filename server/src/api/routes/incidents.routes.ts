import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import {
  AcknowledgeIncidentRequest,
  BatchFilters,
  BatchList,
  IncidentDetail,
  IncidentFeedbackRequest,
  IncidentFilters,
  IncidentList,
  RcaFilters,
  RcaList,
  ResolveIncidentRequest,
  Stats,
} from "@auspex/shared/contracts/incidents.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { IdParams, bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { IncidentsService } from "#server/modules/incidents/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } = errorResponses;
const conflict = ErrorEnvelope.describe("The incident is already resolved");

/** Incidents, their root-cause analyses, seed 000's batches and stats. Reading needs `read`; changing needs a person or `admin`. */
export function registerIncidentRoutes(app: FastifyInstance, incidents: IncidentsService, limits: RateLimiters): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["incidents"];

  routes.get("/api/v1/incidents", {
    schema: {
      tags,
      summary: "The user's incidents, newest first",
      security: bearerSecurity,
      querystring: IncidentFilters,
      response: { 200: IncidentList, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ incidents: await incidents.listIncidents(actorOf(request), request.query) }),
  });

  routes.get("/api/v1/incidents/:id", {
    schema: {
      tags,
      summary: "One incident with its anomalies, root-cause analysis, evidence and timeline",
      security: bearerSecurity,
      params: IdParams,
      response: { 200: IncidentDetail, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => incidents.getIncident(actorOf(request), request.params.id),
  });

  routes.post("/api/v1/incidents/:id/ack", {
    schema: {
      tags,
      summary: "Acknowledge an incident (with a note): it stops escalating",
      security: bearerSecurity,
      params: IdParams,
      body: AcknowledgeIncidentRequest,
      response: { 200: IncidentDetail, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => incidents.acknowledgeIncident(actorOf(request), request.params.id, request.body),
  });

  routes.post("/api/v1/incidents/:id/resolve", {
    schema: {
      tags,
      summary: "Resolve an incident by hand",
      security: bearerSecurity,
      params: IdParams,
      body: ResolveIncidentRequest,
      response: { 200: IncidentDetail, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => incidents.resolveIncident(actorOf(request), request.params.id, request.body),
  });

  routes.post("/api/v1/incidents/:id/feedback", {
    schema: {
      tags,
      summary: "Say whether the root-cause analysis was right (and what the cause really was)",
      security: bearerSecurity,
      params: IdParams,
      body: IncidentFeedbackRequest,
      response: { 200: IncidentDetail, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => incidents.recordIncidentFeedback(actorOf(request), request.params.id, request.body),
  });

  routes.post("/api/v1/incidents/:id/reanalyze", {
    schema: {
      tags,
      summary: "Re-run the root-cause analysis with the data stored now",
      security: bearerSecurity,
      params: IdParams,
      response: { 200: IncidentDetail, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => incidents.reanalyzeIncident(actorOf(request), request.params.id),
  });

  routes.get("/api/v1/rca", {
    schema: {
      tags,
      summary: "Root-cause analyses, newest first",
      security: bearerSecurity,
      querystring: RcaFilters,
      response: { 200: RcaList, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ rca: await incidents.listRootCauses(actorOf(request), request.query) }),
  });

  routes.get("/api/v1/batches", {
    schema: {
      tags,
      summary: "Analysed metric batches (seed 000): window, series, anomalies, incident",
      security: bearerSecurity,
      querystring: BatchFilters,
      response: { 200: BatchList, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ batches: await incidents.listBatches(actorOf(request), request.query) }),
  });

  routes.get("/api/v1/stats", {
    schema: {
      tags,
      summary: "Counts per collection (seed 000's /stats)",
      security: bearerSecurity,
      response: { 200: Stats, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => incidents.getStats(actorOf(request)),
  });
}
