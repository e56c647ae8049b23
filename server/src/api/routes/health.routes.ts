import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { HealthReport } from "@auspex/shared/contracts/health.ts";
import type { HealthService } from "#server/modules/health/index.ts";

export function registerHealthRoutes(app: FastifyInstance, health: HealthService): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  for (const url of ["/health", "/api/health"]) {
    routes.get(url, {
      schema: {
        tags: ["operations"],
        summary: "Health of Auspex and its dependencies",
        description: "healthy; limited when no LLM provider is configured; degraded (HTTP 503) when the database is unreachable.",
        response: { 200: HealthReport, 503: HealthReport },
      },
      handler: async (_request, reply) => {
        const report = await health.checkHealth();
        return reply.code(report.status === "degraded" ? 503 : 200).send(report);
      },
    });
  }
}
