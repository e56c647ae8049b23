/* Retry decisions of the delivery worker: pure, so the policy is testable without a clock. */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay fixed, half random
 * (`random` in [0, 1)), so failed deliveries to one receiver spread out. `attempt` counts from 1.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random);
}

/** The wait before the next attempt: the receiver's Retry-After when longer than the backoff. */
export function nextDelayMs(attempt: number, retryAfterMs: number | undefined, policy: BackoffPolicy, random: number): number {
  const backoff = backoffMs(attempt, policy, random);
  return retryAfterMs === undefined ? backoff : Math.max(backoff, retryAfterMs);
}

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), in ms from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Whether an HTTP answer is worth retrying. 2xx is success; 408, 425, 429 and 5xx are
 * transient; any other 4xx means the receiver refused the message and will refuse it again.
 */
export function classifyStatus(status: number): "success" | "retry" | "permanent" {
  if (status >= 200 && status < 300) return "success";
  if (status === 408 || status === 425 || status === 429 || status >= 500) return "retry";
  return "permanent";
}
