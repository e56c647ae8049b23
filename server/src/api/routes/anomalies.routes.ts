import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { Anomaly, AnomalyFeedbackRequest, AnomalyFilters, AnomalyList } from "@auspex/shared/contracts/anomalies.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { IdParams, bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { AnomaliesService } from "#server/modules/anomalies/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } = errorResponses;

/** Anomaly records: read with the `read` scope; feedback (which changes detection) from a person or an `admin` key. */
export function registerAnomalyRoutes(app: FastifyInstance, anomalies: AnomaliesService, limits: RateLimiters): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["anomalies"];

  routes.get("/api/v1/anomalies", {
    schema: {
      tags,
      summary: "The user's anomalies, newest first",
      security: bearerSecurity,
      querystring: AnomalyFilters,
      response: { 200: AnomalyList, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ anomalies: await anomalies.listAnomalies(actorOf(request), request.query) }),
  });

  routes.get("/api/v1/anomalies/:id", {
    schema: { tags, summary: "One anomaly", security: bearerSecurity, params: IdParams, response: { 200: Anomaly, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => anomalies.getAnomaly(actorOf(request), request.params.id),
  });

  routes.post("/api/v1/anomalies/:id/feedback", {
    schema: {
      tags,
      summary: "Judge an anomaly: confirmed, normal (adapt to it) or noise (suppress the pattern)",
      security: bearerSecurity,
      params: IdParams,
      body: AnomalyFeedbackRequest,
      response: { 200: Anomaly, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => anomalies.recordFeedback(actorOf(request), request.params.id, request.body),
  });
}
