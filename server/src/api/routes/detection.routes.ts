import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { DetectionSettings, DetectionSettingsResponse } from "@auspex/shared/contracts/detection.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { DetectionSettingsService } from "#server/modules/detection/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } = errorResponses;

export function registerDetectionRoutes(app: FastifyInstance, settings: DetectionSettingsService, limits: RateLimiters): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["detection"];

  routes.get("/api/v1/detection/settings", {
    schema: { tags, summary: "The user's detection sensitivity and rules", security: bearerSecurity, response: { 200: DetectionSettingsResponse, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => settings.getDetectionSettings(actorOf(request)),
  });

  routes.put("/api/v1/detection/settings", {
    schema: {
      tags,
      summary: "Replace the user's detection settings",
      description: "`sensitivity` applies to every series no rule matches; the first rule whose `metric` (name or regular expression) and `labels` match a series applies to it. Series already learning keep what they learned.",
      security: bearerSecurity,
      body: DetectionSettings,
      response: { 200: DetectionSettingsResponse, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => settings.putDetectionSettings(actorOf(request), request.body),
  });
}
