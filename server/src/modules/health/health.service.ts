import os from "node:os";
import type { HealthReport } from "@auspex/shared/contracts/health.ts";
import type { Clock } from "#server/platform/clock.ts";

export interface ComponentStatus {
  status: string;
  type: string | null;
  error: string | null;
}

interface Deps {
  version: string;
  startedAt: Date;
  clock: Clock;
  database: { engine: string; ping(): Promise<void> };
  /** Absent until a metric store is wired in; reported as not_configured. */
  metricStore?: () => Promise<ComponentStatus>;
  /** Provider slots (primary, fallback, named ones) and the configured providers with their circuit state. */
  llm: { known: readonly string[]; providers: () => readonly ProviderStatus[] };
}

export interface ProviderStatus {
  name: string;
  kind: "openai" | "ollama";
  model: string;
  circuit: "closed" | "open" | "half_open";
}

const PING_TIMEOUT_MS = 2000;

/** Seed 003's health report: degraded when the database fails, limited without an LLM (none configured, or every circuit open). */
export function createHealthService(deps: Deps) {
  return {
    async checkHealth(): Promise<HealthReport> {
      const database = await probeDatabase(deps.database);
      const metricStore = deps.metricStore ? await deps.metricStore() : { status: "not_configured", type: null, error: null };
      const providers = deps.llm.providers().map((p) => ({ name: p.name, kind: p.kind, model: p.model, circuit: p.circuit }));
      const providerStatus = Object.fromEntries(deps.llm.known.map((name) => [name, providers.some((p) => p.name === name)]));
      const configuredProviders = providers.length;
      const now = deps.clock.now();
      const total = os.totalmem();
      const available = os.freemem();

      // Every provider's circuit open means no LLM answers now: the same as none configured.
      const llmAvailable = providers.some((p) => p.circuit !== "open");
      const status = database.status !== "connected" || metricStore.status === "error" ? "degraded" : !llmAvailable ? "limited" : "healthy";
      return {
        status,
        version: deps.version,
        platform: "Auspex",
        timestamp: now.toISOString(),
        uptime_seconds: Math.floor((now.getTime() - deps.startedAt.getTime()) / 1000),
        services: {
          database,
          metric_store: metricStore,
          ai_providers: { configured: configuredProviders, total: deps.llm.known.length, status: providerStatus, providers },
        },
        system: {
          memory_used_percent: round(((total - available) / total) * 100, 1),
          memory_available_mb: round(available / 1_048_576, 2),
        },
      };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;

async function probeDatabase(database: Deps["database"]): Promise<ComponentStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      database.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
    return { status: "connected", type: database.engine, error: null };
  } catch (error) {
    return { status: "error", type: database.engine, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
