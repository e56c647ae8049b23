import { context, SpanStatusCode, trace, type Span, type Tracer } from "@opentelemetry/api";
import { z } from "zod";
import type { AiUsageRepository } from "#server/modules/ai/ai-usage.repository.ts";
import {
  closedCircuit,
  admitRequest,
  describeCircuit,
  recordFailure,
  recordNeutral,
  recordSuccess,
  type CircuitName,
  type CircuitSettings,
  type CircuitState,
} from "#server/modules/ai/circuit-breaker.rules.ts";
import {
  ProviderError,
  type ChatMessage,
  type LlmProvider,
  type ProviderErrorReason,
  type ProviderKind,
  type ProviderRequest,
  type ProviderResponse,
  type ResponseFormat,
  type TokenUsage,
  type ToolCall,
  type ToolDefinition,
} from "#server/modules/ai/llm-provider.port.ts";
import { parseArguments } from "#server/modules/ai/openai-provider.ts";
import { buildPrompt, jsonInstruction } from "#server/modules/ai/prompt.rules.ts";
import { countRedactions, redactSecrets } from "#server/modules/ai/redact.rules.ts";
import { countsAsProviderFailure, DEFAULT_BACKOFF, isRetryable, retryDelayMs } from "#server/modules/ai/retry.rules.ts";
import { checkStructured, repairMessage } from "#server/modules/ai/structured.rules.ts";
import type { Timers } from "#server/modules/ai/timers.ts";
import { checkBudget, estimatePromptTokens, estimateTokens, utcDayStart } from "#server/modules/ai/usage.rules.ts";
import type { Clock } from "#server/platform/clock.ts";
import { newId } from "#server/platform/ids.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";

export type AiFailureReason = "budget_exhausted" | "no_provider" | "unavailable" | "invalid_output" | "cancelled";

/** One provider request (or skip) made while serving a call, in order. */
export interface AttemptRecord {
  provider: string;
  model: string;
  outcome: "success" | "circuit_open" | ProviderErrorReason;
  status?: number;
  message?: string;
  durationMs: number;
}

/** A call that produced no usable answer: returned, never thrown, so callers can record it. */
export interface AiFailure {
  ok: false;
  reason: AiFailureReason;
  message: string;
  attempts: AttemptRecord[];
  /** Validation problems of the last answer (invalid_output). */
  issues?: string[];
  /** Tokens spent anyway (e.g. on answers that failed validation). */
  usage: TokenUsage;
}

export interface ChatInput {
  /** Whose budget pays and whose usage row is written. */
  userId: string;
  /** What the call is for (rca, chat, summary, …): a metric label and a usage column. */
  purpose: string;
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface ChatSuccess {
  ok: true;
  content: string;
  toolCalls: ToolCall[];
  usage: TokenUsage;
  provider: string;
  model: string;
  finishReason: string | undefined;
  attempts: AttemptRecord[];
}

export type ChatResult = ChatSuccess | AiFailure;

export interface StructuredInput<S extends z.ZodType> {
  userId: string;
  purpose: string;
  /** The task, written by Auspex (trusted). */
  system: string;
  /** Untrusted input (metric names, labels, event text): quoted as JSON data, redacted. */
  data: unknown;
  /** The answer's shape; the model's JSON is validated against it. */
  schema: S;
  /** Trusted text after the data, e.g. what to focus on. */
  instructions?: string;
  /** Name of the schema sent in OpenAI's json_schema response format. */
  schemaName?: string;
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

export type StructuredResult<T> =
  | { ok: true; value: T; usage: TokenUsage; provider: string; model: string; repaired: boolean; attempts: AttemptRecord[] }
  | AiFailure;

export interface ProviderHealth {
  name: string;
  kind: ProviderKind;
  model: string;
  circuit: CircuitName;
}

export interface AiSettings {
  timeoutMs: number;
  maxRetries: number;
  circuit: CircuitSettings;
  /** Tokens per user and UTC day; 0: unlimited. */
  dailyTokenBudget: number;
  backoff?: { baseDelayMs: number; maxDelayMs: number };
}

export interface AiServiceDeps {
  providers: readonly LlmProvider[];
  usage: AiUsageRepository;
  clock: Clock;
  timers: Timers;
  metrics: Metrics;
  tracer: Tracer;
  settings: AiSettings;
  logger?: Logger;
  /** [0, 1), for backoff jitter. */
  random?: () => number;
}

type Served =
  | { ok: true; response: ProviderResponse; provider: LlmProvider; usage: TokenUsage; durationMs: number; fallback: boolean; attempts: AttemptRecord[] }
  | AiFailure;

const NO_USAGE: TokenUsage = { promptTokens: 0, completionTokens: 0, estimated: false };
const MAX_TRACE_TEXT = 16_384;

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens, estimated: a.estimated || b.estimated };
}

function failure(reason: AiFailureReason, message: string, attempts: AttemptRecord[], extra: { issues?: string[]; usage?: TokenUsage } = {}): AiFailure {
  return { ok: false, reason, message, attempts, usage: extra.usage ?? NO_USAGE, ...(extra.issues === undefined ? {} : { issues: extra.issues }) };
}

/** Redacts secrets from every text that leaves: message contents and tool-call arguments. */
function redactMessages(messages: readonly ChatMessage[]): { messages: ChatMessage[]; redactions: number } {
  let redactions = 0;
  const clean = (text: string): string => {
    const result = redactSecrets(text);
    redactions += countRedactions(result.found);
    return result.text;
  };
  const out = messages.map((message): ChatMessage => {
    if (message.role === "assistant" && message.toolCalls !== undefined) {
      return {
        ...message,
        content: clean(message.content),
        toolCalls: message.toolCalls.map((call) => {
          const raw = clean(call.rawArguments);
          return { ...call, rawArguments: raw, arguments: parseArguments(raw) ?? {} };
        }),
      };
    }
    return { ...message, content: clean(message.content) };
  });
  return { messages: out, redactions };
}

/** The JSON Schema of a zod schema for the provider's structured-output mode, or undefined when it has no JSON Schema form. */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> | undefined {
  try {
    const json = z.toJSONSchema(schema, { io: "output", unrepresentable: "throw" }) as Record<string, unknown>;
    delete json.$schema;
    return json;
  } catch {
    return undefined;
  }
}

function truncate(text: string): string {
  return text.length > MAX_TRACE_TEXT ? `${text.slice(0, MAX_TRACE_TEXT)}…` : text;
}

/**
 * The AI layer: one call walks the providers in order (primary first), each behind its
 * circuit breaker, with a per-request timeout and bounded retries; the user's daily token
 * budget is checked first; secrets are redacted from everything sent; every request is
 * counted (metrics, usage rows) and traced.
 */
export function createAiService(deps: AiServiceDeps) {
  const { settings, metrics, clock, timers, tracer } = deps;
  const random = deps.random ?? Math.random;
  const backoff = settings.backoff ?? DEFAULT_BACKOFF;
  const circuits = new Map<string, CircuitState>(deps.providers.map((p) => [p.name, closedCircuit]));
  const nowMs = () => clock.now().getTime();
  const circuitOf = (provider: LlmProvider): CircuitState => circuits.get(provider.name) ?? closedCircuit;

  // With a budget, one user's calls run one at a time: a check and the usage it leads to are never
  // interleaved with another call's, so concurrent calls cannot together pass the budget.
  const userQueues = new Map<string, Promise<unknown>>();
  function oneAtATime<T>(userId: string, run: () => Promise<T>): Promise<T> {
    if (settings.dailyTokenBudget <= 0) return run();
    const previous = userQueues.get(userId) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    userQueues.set(userId, settled);
    void settled.then(() => {
      if (userQueues.get(userId) === settled) userQueues.delete(userId);
    });
    return next;
  }

  async function checkUserBudget(userId: string, messages: readonly ChatMessage[]): Promise<AiFailure | undefined> {
    if (settings.dailyTokenBudget <= 0) return undefined;
    const used = await deps.usage.sumTokensSince(userId, utcDayStart(clock.now()).toISOString());
    const decision = checkBudget(settings.dailyTokenBudget, used, estimatePromptTokens(messages));
    if (decision.allowed) return undefined;
    metrics.ai.errors.inc({ reason: "budget_exhausted", provider: "none" });
    return failure("budget_exhausted", `daily LLM token budget exhausted: ${decision.used} of ${decision.budget} tokens used today (UTC)`, []);
  }

  /** One provider request under the per-call timeout (the caller's signal also cancels it). */
  async function requestOnce(provider: LlmProvider, request: ProviderRequest, callerSignal: AbortSignal | undefined): Promise<ProviderResponse> {
    const controller = new AbortController();
    const cancelTimer = timers.schedule(
      () => controller.abort(new ProviderError("timeout", `no answer within ${settings.timeoutMs} ms`)),
      settings.timeoutMs,
    );
    const signal = callerSignal === undefined ? controller.signal : AbortSignal.any([callerSignal, controller.signal]);
    try {
      return await provider.complete(request, signal);
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw new ProviderError("bad_response", (error as Error).message, { cause: error });
    } finally {
      cancelTimer();
    }
  }

  /** Walks the providers: skip open circuits, retry transient failures with backoff, fall back to the next. */
  async function serve(purpose: string, request: ProviderRequest, signal: AbortSignal | undefined, parent: Span): Promise<Served> {
    const attempts: AttemptRecord[] = [];
    if (deps.providers.length === 0) return failure("no_provider", "no LLM provider is configured", attempts);
    const parentContext = trace.setSpan(context.active(), parent);
    for (const [index, provider] of deps.providers.entries()) {
      const admission = admitRequest(circuitOf(provider), nowMs(), settings.circuit);
      circuits.set(provider.name, admission.state);
      if (!admission.admitted) {
        attempts.push({ provider: provider.name, model: provider.model, outcome: "circuit_open", durationMs: 0 });
        metrics.ai.errors.inc({ reason: "circuit_open", provider: provider.name });
        continue;
      }
      for (let retry = 0; ; retry++) {
        if (signal?.aborted) return failure("cancelled", "the call was cancelled", attempts);
        const started = nowMs();
        const span = tracer.startSpan(
          `ai.request ${provider.name}`,
          {
            attributes: {
              "gen_ai.operation.name": "chat",
              "gen_ai.system": provider.kind,
              "gen_ai.request.model": provider.model,
              "auspex.ai.provider": provider.name,
              "auspex.ai.purpose": purpose,
              "auspex.ai.retry": retry,
              "auspex.ai.fallback": index > 0,
            },
          },
          parentContext,
        );
        const labels = { provider: provider.name, model: provider.model, purpose };
        try {
          const response = await requestOnce(provider, request, signal);
          const durationMs = nowMs() - started;
          circuits.set(provider.name, recordSuccess());
          const usage: TokenUsage =
            response.usage === undefined
              ? {
                  promptTokens: estimatePromptTokens(request.messages),
                  completionTokens: estimateTokens(response.content) + response.toolCalls.reduce((n, c) => n + estimateTokens(c.name) + estimateTokens(c.rawArguments), 0),
                  estimated: true,
                }
              : { ...response.usage, estimated: false };
          span.setAttributes({
            "gen_ai.response.model": response.model,
            "gen_ai.usage.input_tokens": usage.promptTokens,
            "gen_ai.usage.output_tokens": usage.completionTokens,
            "auspex.ai.outcome": "success",
          });
          metrics.ai.duration.observe(labels, durationMs / 1000);
          attempts.push({ provider: provider.name, model: provider.model, outcome: "success", durationMs });
          return { ok: true, response, provider, usage, durationMs, fallback: index > 0, attempts };
        } catch (error) {
          const durationMs = nowMs() - started;
          const problem = error instanceof ProviderError ? error : new ProviderError("bad_response", String(error));
          span.setStatus({ code: SpanStatusCode.ERROR, message: problem.message });
          span.setAttributes({ "auspex.ai.outcome": problem.reason, ...(problem.status === undefined ? {} : { "http.response.status_code": problem.status }) });
          metrics.ai.calls.inc({ ...labels, outcome: problem.reason });
          metrics.ai.errors.inc({ reason: problem.reason, provider: provider.name });
          metrics.ai.duration.observe(labels, durationMs / 1000);
          attempts.push({
            provider: provider.name,
            model: provider.model,
            outcome: problem.reason,
            message: problem.message,
            durationMs,
            ...(problem.status === undefined ? {} : { status: problem.status }),
          });
          if (problem.reason === "cancelled") {
            circuits.set(provider.name, recordNeutral(circuitOf(provider)));
            return failure("cancelled", "the call was cancelled", attempts);
          }
          const circuit = countsAsProviderFailure(problem.reason) ? recordFailure(circuitOf(provider), nowMs(), settings.circuit) : recordNeutral(circuitOf(provider));
          circuits.set(provider.name, circuit);
          deps.logger?.warn({ provider: provider.name, purpose, reason: problem.reason, status: problem.status, retry }, `LLM request failed: ${problem.message}`);
          if (!isRetryable(problem.reason) || retry >= settings.maxRetries || circuit.kind !== "closed") break;
          const delay = retryDelayMs(retry, problem.retryAfterMs, backoff, random());
          if (delay === undefined) break;
          try {
            await timers.sleep(delay, signal);
          } catch {
            return failure("cancelled", "the call was cancelled", attempts);
          }
        } finally {
          span.end();
        }
      }
    }
    return failure("unavailable", `no LLM provider answered (${attempts.map((a) => `${a.provider}: ${a.outcome}`).join(", ")})`, attempts);
  }

  /** Counts an answered request: metrics, span, a usage row. */
  async function account(userId: string, purpose: string, served: Extract<Served, { ok: true }>, outcome: "success" | "invalid_output"): Promise<void> {
    const labels = { provider: served.provider.name, model: served.provider.model, purpose };
    metrics.ai.calls.inc({ ...labels, outcome });
    metrics.ai.tokens.inc({ ...labels, kind: "prompt" }, served.usage.promptTokens);
    metrics.ai.tokens.inc({ ...labels, kind: "completion" }, served.usage.completionTokens);
    if (outcome !== "success") metrics.ai.errors.inc({ reason: outcome, provider: served.provider.name });
    await deps.usage.insert({
      id: newId(),
      user_id: userId,
      purpose,
      provider: served.provider.name,
      model: served.response.model,
      prompt_tokens: served.usage.promptTokens,
      completion_tokens: served.usage.completionTokens,
      estimated: served.usage.estimated ? 1 : 0,
      outcome,
      duration_ms: Math.max(0, Math.round(served.durationMs)),
      created_at: clock.now().toISOString(),
    });
  }

  /** Budget check, redaction, then the provider walk, inside the call's span. */
  async function call(
    input: { userId: string; purpose: string; signal?: AbortSignal | undefined },
    request: ProviderRequest,
    span: Span,
  ): Promise<Served> {
    const refused = await checkUserBudget(input.userId, request.messages);
    if (refused) return refused;
    const redacted = redactMessages(request.messages);
    span.setAttribute("auspex.ai.redactions", redacted.redactions);
    span.setAttribute("langfuse.observation.input", truncate(JSON.stringify(redacted.messages)));
    return serve(input.purpose, { ...request, messages: redacted.messages }, input.signal, span);
  }

  function startCallSpan(name: string, input: { userId: string; purpose: string }): Span {
    return tracer.startSpan(name, {
      attributes: { "auspex.ai.purpose": input.purpose, "user.id": input.userId, "langfuse.user.id": input.userId, "langfuse.trace.name": input.purpose },
    });
  }

  function endCallSpan(span: Span, result: { ok: boolean; reason?: string; message?: string }, served?: Extract<Served, { ok: true }>, output?: string): void {
    if (served) {
      span.setAttributes({
        "auspex.ai.provider": served.provider.name,
        "gen_ai.system": served.provider.kind,
        "gen_ai.request.model": served.provider.model,
        "gen_ai.response.model": served.response.model,
        "auspex.ai.fallback": served.fallback,
      });
    }
    if (output !== undefined) span.setAttribute("langfuse.observation.output", truncate(output));
    if (!result.ok) {
      span.setAttribute("auspex.ai.failure", result.reason ?? "error");
      span.setStatus({ code: SpanStatusCode.ERROR, ...(result.message === undefined ? {} : { message: result.message }) });
    }
    span.end();
  }

  return {
    /** Chat completion with optional tools; returns content, tool calls, usage and who answered. */
    chat(input: ChatInput): Promise<ChatResult> {
      return oneAtATime(input.userId, async (): Promise<ChatResult> => {
        const span = startCallSpan("ai.chat", input);
        let served: Served | undefined;
        try {
          served = await call(
            input,
            {
              messages: input.messages,
              ...(input.tools === undefined ? {} : { tools: input.tools }),
              ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
              ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
            },
            span,
          );
          if (!served.ok) {
            endCallSpan(span, served);
            return served;
          }
          await account(input.userId, input.purpose, served, "success");
          span.setAttributes({ "gen_ai.usage.input_tokens": served.usage.promptTokens, "gen_ai.usage.output_tokens": served.usage.completionTokens });
          endCallSpan(span, { ok: true }, served, served.response.content);
          return {
            ok: true,
            content: served.response.content,
            toolCalls: served.response.toolCalls,
            usage: served.usage,
            provider: served.provider.name,
            model: served.response.model,
            finishReason: served.response.finishReason,
            attempts: served.attempts,
          };
        } catch (error) {
          endCallSpan(span, { ok: false, reason: "error", message: (error as Error).message });
          throw error;
        }
      });
    },

    /**
     * Asks for a JSON answer about untrusted `data` and validates it with `schema`. An invalid
     * answer gets one repair round (the validation errors sent back); still invalid, the
     * result is a typed `invalid_output` failure.
     */
    completeStructured<S extends z.ZodType>(input: StructuredInput<S>): Promise<StructuredResult<z.output<S>>> {
      return oneAtATime(input.userId, async (): Promise<StructuredResult<z.output<S>>> => {
        const span = startCallSpan("ai.complete_structured", input);
        try {
          const jsonSchema = jsonSchemaOf(input.schema);
          const responseFormat: ResponseFormat =
            jsonSchema === undefined ? { kind: "json" } : { kind: "json_schema", name: input.schemaName ?? "answer", schema: jsonSchema };
          const messages = buildPrompt({
            system: input.system,
            data: input.data,
            instructions: [input.instructions ?? "", jsonInstruction(jsonSchema)].filter((t) => t.trim() !== "").join("\n\n"),
          });
          const systemText = messages[0]?.content ?? input.system;
          const base = {
            responseFormat,
            ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
            ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
          };
          let usage = NO_USAGE;
          const attempts: AttemptRecord[] = [];
          let conversation = messages;
          for (let round = 0; round < 2; round++) {
            const served = await call(input, { ...base, messages: conversation }, span);
            attempts.push(...served.attempts);
            if (!served.ok) {
              const result = { ...served, attempts, usage: addUsage(usage, served.usage) };
              endCallSpan(span, result);
              return result;
            }
            usage = addUsage(usage, served.usage);
            const checked = checkStructured(served.response.content, input.schema, systemText);
            await account(input.userId, input.purpose, served, checked.ok ? "success" : "invalid_output");
            if (checked.ok) {
              span.setAttributes({ "auspex.ai.repaired": round > 0, "gen_ai.usage.input_tokens": usage.promptTokens, "gen_ai.usage.output_tokens": usage.completionTokens });
              endCallSpan(span, { ok: true }, served, served.response.content);
              return { ok: true, value: checked.value, usage, provider: served.provider.name, model: served.response.model, repaired: round > 0, attempts };
            }
            if (round === 1) {
              const result = failure("invalid_output", `the model's answer did not match the schema after one repair: ${checked.issues.join("; ")}`, attempts, {
                issues: checked.issues,
                usage,
              });
              endCallSpan(span, result, served);
              return result;
            }
            conversation = [...conversation, { role: "assistant", content: served.response.content }, { role: "user", content: repairMessage(checked.issues) }];
          }
          throw new Error("unreachable");
        } catch (error) {
          endCallSpan(span, { ok: false, reason: "error", message: (error as Error).message });
          throw error;
        }
      });
    },

    /** Each configured provider with its circuit state, in the order they are tried (for /health). */
    describeProviders(): ProviderHealth[] {
      return deps.providers.map((p) => ({ name: p.name, kind: p.kind, model: p.model, circuit: describeCircuit(circuitOf(p), nowMs(), settings.circuit) }));
    },

    /** The user's token totals per purpose, provider and model over [from, to). */
    summarizeUsage(userId: string, range: { from: Date; to: Date }) {
      return deps.usage.summarize(userId, { from: range.from.toISOString(), to: range.to.toISOString() });
    },
  };
}

export type AiService = ReturnType<typeof createAiService>;
