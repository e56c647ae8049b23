import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Metrics } from "#server/platform/metrics.ts";

export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.withTypeProvider<ZodTypeProvider>().get("/metrics", {
    schema: {
      tags: ["operations"],
      summary: "Auspex's own metrics in the Prometheus text format",
      produces: ["text/plain"],
      response: { 200: z.string() },
    },
    handler: async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).serializer((payload) => String(payload)).send(body);
    },
  });
}
