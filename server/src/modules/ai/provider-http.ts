import { ProviderError, type ToolDefinition } from "#server/modules/ai/llm-provider.port.ts";
import { parseRetryAfterMs, reasonForStatus } from "#server/modules/ai/retry.rules.ts";

/** Largest provider response read (a chat completion is a few KiB; this stops a runaway body). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export type Fetch = typeof fetch;

/**
 * POSTs JSON and returns the parsed JSON answer, or throws a classified ProviderError:
 * HTTP status → reason (with Retry-After), connection failures → network, an aborted
 * signal → its reason (the service aborts with a timeout ProviderError) or cancelled.
 */
export async function postJson(
  fetchImpl: Fetch,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  signal: AbortSignal,
  nowMs: () => number,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    throw abortedOr(signal, new ProviderError("network", `cannot reach ${new URL(url).origin}: ${causeText(error)}`, { cause: error }));
  }
  let text: string;
  try {
    const length = Number(response.headers.get("content-length") ?? "0");
    if (length > MAX_RESPONSE_BYTES) {
      await response.body?.cancel();
      throw new ProviderError("bad_response", `response of ${length} bytes is larger than ${MAX_RESPONSE_BYTES}`, { status: response.status });
    }
    text = await response.text();
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw abortedOr(signal, new ProviderError("network", `response interrupted: ${causeText(error)}`, { cause: error }));
  }
  if (!response.ok) {
    const retryAfterMs = response.status === 429 || response.status === 503 ? parseRetryAfterMs(response.headers.get("retry-after"), nowMs()) : undefined;
    throw new ProviderError(reasonForStatus(response.status), `HTTP ${response.status}: ${errorMessage(text)}`, {
      status: response.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderError("bad_response", `response is not JSON: ${text.slice(0, 200)}`, { status: response.status });
  }
}

function abortedOr(signal: AbortSignal, fallback: ProviderError): ProviderError {
  if (!signal.aborted) return fallback;
  const reason: unknown = signal.reason;
  if (reason instanceof ProviderError) return reason;
  return new ProviderError("cancelled", "the request was cancelled", { cause: reason });
}

function causeText(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** The error text of an OpenAI ({error:{message}}) or Ollama ({error:"…"}) error body, else the start of the body. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === "string") return body.error;
    if (body.error !== null && typeof body.error === "object" && typeof (body.error as { message?: unknown }).message === "string") {
      return (body.error as { message: string }).message;
    }
    if (typeof body.message === "string") return body.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || "(empty body)";
}

/** Joins a base URL (with or without a trailing slash) and a path. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

/** Tool definitions as both OpenAI's chat completions and Ollama's /api/chat take them. */
export function toWireTools(tools: readonly ToolDefinition[]): unknown[] {
  return tools.map((tool) => ({
    type: "function",
    function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.parameters },
  }));
}
