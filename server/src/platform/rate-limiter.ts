import type { Clock } from "#server/platform/clock.ts";

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends and the budget refills. */
  resetSeconds: number;
}

export interface RateLimiter {
  /** Spends `cost` (default 1) from the key's budget for the current window. */
  consume(key: string, cost?: number): RateLimitDecision;
}

/**
 * Fixed-window counters in memory, one per key. Written here rather than taken from
 * @fastify/rate-limit because that plugin runs at most one limit per request, and the
 * credential endpoints need two (per IP and per username); a Clock makes windows testable.
 * Several API processes will need a shared store (scale-out issue).
 */
export function createRateLimiter(options: { limit: number; windowMs: number; clock: Clock; maxKeys?: number }): RateLimiter {
  const { limit, windowMs, clock } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  const windows = new Map<string, { start: number; count: number }>();

  const sweep = (now: number) => {
    for (const [key, window] of windows) if (now - window.start >= windowMs) windows.delete(key);
    // Still full of live windows: drop the oldest rather than grow without bound.
    while (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
  };

  return {
    consume(key, cost = 1) {
      const now = clock.now().getTime();
      let window = windows.get(key);
      if (window === undefined || now - window.start >= windowMs) {
        if (window === undefined && windows.size >= maxKeys) sweep(now);
        window = { start: now, count: 0 };
        windows.set(key, window);
      }
      window.count += cost;
      return {
        allowed: window.count <= limit,
        limit,
        remaining: Math.max(0, limit - window.count),
        resetSeconds: Math.max(1, Math.ceil((window.start + windowMs - now) / 1000)),
      };
    },
  };
}
