/*
 * The one interface every LLM provider adapter implements (OpenAI-compatible chat
 * completions, Ollama's native /api/chat). Adapters do one HTTP request and map
 * it; retries, fallback, circuit breaking, budget and telemetry live in
 * ai.service.ts, identically for every kind.
 */

export type ProviderKind = "openai" | "ollama";

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  /** Provider's id (OpenAI), or generated (Ollama has none). */
  id: string;
  name: string;
  /** Parsed arguments; undefined when the model sent text that is not JSON. */
  arguments: unknown;
  /** Arguments as the model sent them (a JSON text). */
  rawArguments: string;
}

export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: readonly ToolCall[] }
  | { role: "tool"; content: string; toolCallId: string; name?: string };

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** True when the provider reported no usage and the numbers are estimates (about 4 characters a token). */
  estimated: boolean;
}

/** Structured-output request: the JSON Schema, or plain JSON mode when the schema cannot be expressed. */
export type ResponseFormat = { kind: "json_schema"; name: string; schema: Record<string, unknown> } | { kind: "json" };

export interface ProviderRequest {
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
  responseFormat?: ResponseFormat;
  temperature?: number;
  maxTokens?: number;
}

export interface ProviderResponse {
  content: string;
  toolCalls: ToolCall[];
  /** Undefined when the provider did not say; the service estimates then. */
  usage: { promptTokens: number; completionTokens: number } | undefined;
  /** The model the provider says answered (may differ from the configured name, e.g. a dated version). */
  model: string;
  finishReason: string | undefined;
}

export interface LlmProvider {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly model: string;
  /** One HTTP request; throws ProviderError. The signal carries the per-call timeout and the caller's cancellation. */
  complete(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse>;
}

export type ProviderErrorReason =
  | "timeout"
  | "network"
  | "rate_limited"
  | "server_error"
  | "auth"
  | "bad_request"
  | "not_found"
  | "bad_response"
  | "cancelled";

/** A failed provider request, classified so the service can decide: retry, next provider, or stop. */
export class ProviderError extends Error {
  readonly reason: ProviderErrorReason;
  readonly status: number | undefined;
  /** From Retry-After on 429/503, in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(reason: ProviderErrorReason, message: string, options: { status?: number; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProviderError";
    this.reason = reason;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}
