import { z } from "zod";

export const HealthStatus = z.enum(["healthy", "degraded", "limited"]);

export const ServiceStatus = z.object({
  status: z.string().describe("connected | error | not_configured | …"),
  type: z.string().nullable(),
  error: z.string().nullable(),
});

export const HealthReport = z
  .object({
    status: HealthStatus,
    version: z.string(),
    platform: z.literal("Auspex"),
    timestamp: z.string().describe("ISO-8601 time of the check"),
    uptime_seconds: z.number().int(),
    services: z.object({
      database: ServiceStatus,
      metric_store: ServiceStatus,
      ai_providers: z.object({
        configured: z.number().int(),
        total: z.number().int(),
        status: z.record(z.string(), z.boolean()).describe("Provider slot (primary, fallback, named) → configured"),
        providers: z
          .array(
            z.object({
              name: z.string(),
              kind: z.enum(["openai", "ollama"]),
              model: z.string(),
              circuit: z.enum(["closed", "open", "half_open"]).describe("open: skipped after repeated failures; half_open: the next request probes it"),
            }),
          )
          .describe("Configured LLM providers in the order they are tried"),
      }),
    }),
    system: z.object({
      memory_used_percent: z.number(),
      memory_available_mb: z.number(),
    }),
  })
  .meta({ id: "HealthReport" });
export type HealthReport = z.infer<typeof HealthReport>;
