import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { AnalysisRequest, AnalysisResult } from "@auspex/shared/contracts/incidents.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { AnalysisService } from "#server/modules/analysis/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } = errorResponses;

/** Seed 001's on-demand analysis (read scope: it changes nothing). */
export function registerAnalysisRoutes(app: FastifyInstance, analysis: AnalysisService, limits: RateLimiters): void {
  app.withTypeProvider<ZodTypeProvider>().post("/api/v1/analysis", {
    schema: {
      tags: ["incidents"],
      summary: "Analyse the last minutes: health, key findings, recommendations, confidence and a fail-safe decision",
      security: bearerSecurity,
      body: AnalysisRequest,
      response: { 200: AnalysisResult, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => analysis.analyzeRecent(actorOf(request), request.body),
  });
}
