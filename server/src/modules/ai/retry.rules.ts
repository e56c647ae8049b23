import type { ProviderErrorReason } from "#server/modules/ai/llm-provider.port.ts";

export interface RetryPolicy {
  /** Retries after the first attempt, on the same provider. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF = { baseDelayMs: 500, maxDelayMs: 20_000 } as const;

/** Worth another attempt on the same provider: transient by nature. */
export function isRetryable(reason: ProviderErrorReason): boolean {
  return reason === "timeout" || reason === "network" || reason === "rate_limited" || reason === "server_error";
}

/**
 * Counts against the provider's circuit breaker: the provider (or the way to it) is
 * unwell. A request the provider rejected as malformed says nothing about its health;
 * a cancellation by the caller neither.
 */
export function countsAsProviderFailure(reason: ProviderErrorReason): boolean {
  return reason !== "bad_request" && reason !== "cancelled";
}

/** Maps an HTTP status of a failed request to a reason. */
export function reasonForStatus(status: number): ProviderErrorReason {
  if (status === 429) return "rate_limited";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  if (status === 408) return "timeout";
  if (status >= 500) return "server_error";
  return "bad_request";
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay fixed, half random,
 * so concurrent callers spread out but never retry at once. `random` is in [0, 1).
 */
export function backoffDelayMs(retry: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(exponential / 2 + (exponential / 2) * random);
}

/**
 * The wait before the next attempt: the server's Retry-After when it gave one (never less
 * than the backoff), else the backoff. Undefined when the server asks for longer than
 * `maxDelayMs`: better to move on to the next provider than to hold the caller.
 */
export function retryDelayMs(retry: number, retryAfterMs: number | undefined, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: number): number | undefined {
  const backoff = backoffDelayMs(retry, policy, random);
  if (retryAfterMs === undefined) return backoff;
  if (retryAfterMs > policy.maxDelayMs) return undefined;
  return Math.max(retryAfterMs, backoff);
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
