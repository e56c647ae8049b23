import type { SpanProcessor } from "@opentelemetry/sdk-trace";
import { createAiTracing, type LangfuseSettings } from "#server/modules/ai/ai-tracing.ts";
import { createAiUsageRepository } from "#server/modules/ai/ai-usage.repository.ts";
import { createAiService, type AiService } from "#server/modules/ai/ai.service.ts";
import type { LlmProvider, ProviderKind } from "#server/modules/ai/llm-provider.port.ts";
import { createOllamaProvider } from "#server/modules/ai/ollama-provider.ts";
import { createOpenAiProvider } from "#server/modules/ai/openai-provider.ts";
import type { Fetch } from "#server/modules/ai/provider-http.ts";
import { systemTimers, type Timers } from "#server/modules/ai/timers.ts";
import type { Clock } from "#server/platform/clock.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";
import type { Db } from "#server/storage/database.ts";

export type {
  AiFailure,
  AiFailureReason,
  AiService,
  AiSettings,
  AttemptRecord,
  ChatInput,
  ChatResult,
  ChatSuccess,
  ProviderHealth,
  StructuredInput,
  StructuredResult,
} from "#server/modules/ai/ai.service.ts";
export type { ChatMessage, LlmProvider, ProviderKind, TokenUsage, ToolCall, ToolDefinition } from "#server/modules/ai/llm-provider.port.ts";
export type { AiUsageRow, AiUsageTotal } from "#server/modules/ai/ai-usage.repository.ts";
export type { Timers } from "#server/modules/ai/timers.ts";
export type { LangfuseSettings } from "#server/modules/ai/ai-tracing.ts";
export { createAiService } from "#server/modules/ai/ai.service.ts";
export { createAiUsageRepository } from "#server/modules/ai/ai-usage.repository.ts";
export { createAiTracing } from "#server/modules/ai/ai-tracing.ts";
export { createOpenAiProvider } from "#server/modules/ai/openai-provider.ts";
export { createOllamaProvider } from "#server/modules/ai/ollama-provider.ts";
export { systemTimers } from "#server/modules/ai/timers.ts";
export { buildPrompt, quoteData, DATA_TAG } from "#server/modules/ai/prompt.rules.ts";
export { redactSecrets } from "#server/modules/ai/redact.rules.ts";

export interface AiProviderSettings {
  name: string;
  kind: ProviderKind;
  baseUrl: string;
  model: string;
  apiKey?: string;
}

export interface AiModuleDeps {
  db: Db;
  clock: Clock;
  metrics: Metrics;
  version: string;
  settings: {
    providers: readonly AiProviderSettings[];
    timeoutMs: number;
    maxRetries: number;
    circuit: { failures: number; cooldownMs: number };
    dailyTokenBudget: number;
    langfuse?: LangfuseSettings | undefined;
  };
  logger?: Logger;
  timers?: Timers;
  fetch?: Fetch;
  random?: () => number;
  /** Extra span processors (tests collect spans in memory). */
  spanProcessors?: SpanProcessor[];
}

export type AiModule = AiService & {
  /** Exports pending spans (Langfuse) and stops tracing. */
  close(): Promise<void>;
  /** Exports pending spans now. */
  flushTraces(): Promise<void>;
};

/** Builds a provider adapter for a configured provider. */
export function createLlmProvider(settings: AiProviderSettings, options: { fetch?: Fetch; clock?: Clock } = {}): LlmProvider {
  const common = {
    name: settings.name,
    baseUrl: settings.baseUrl,
    model: settings.model,
    ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.clock === undefined ? {} : { nowMs: () => options.clock?.now().getTime() ?? Date.now() }),
  };
  return settings.kind === "ollama" ? createOllamaProvider(common) : createOpenAiProvider(common);
}

/** The AI layer wired from configuration: providers in order, usage in the state database, tracing (Langfuse when set). */
export function createAiModule(deps: AiModuleDeps): AiModule {
  const tracing = createAiTracing({ version: deps.version, langfuse: deps.settings.langfuse, ...(deps.spanProcessors ? { processors: deps.spanProcessors } : {}) });
  const service = createAiService({
    providers: deps.settings.providers.map((p) => createLlmProvider(p, { ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }), clock: deps.clock })),
    usage: createAiUsageRepository(deps.db),
    clock: deps.clock,
    timers: deps.timers ?? systemTimers,
    metrics: deps.metrics,
    tracer: tracing.tracer,
    settings: {
      timeoutMs: deps.settings.timeoutMs,
      maxRetries: deps.settings.maxRetries,
      circuit: deps.settings.circuit,
      dailyTokenBudget: deps.settings.dailyTokenBudget,
    },
    ...(deps.logger === undefined ? {} : { logger: deps.logger }),
    ...(deps.random === undefined ? {} : { random: deps.random }),
  });
  return {
    ...service,
    flushTraces: () => tracing.flush(),
    close: () => tracing.shutdown(),
  };
}
