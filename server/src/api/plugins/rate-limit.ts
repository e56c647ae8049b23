import type { FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { Clock } from "#server/platform/clock.ts";
import { RateLimitedError } from "#server/platform/errors.ts";
import { createRateLimiter, type RateLimitDecision } from "#server/platform/rate-limiter.ts";

export interface RateLimitSettings {
  enabled: boolean;
  authPerMinute: number;
  apiPerMinute: number;
}

export interface RateLimiters {
  /** For login/register/refresh: one budget per client IP and one per username, per endpoint. */
  auth: preHandlerAsyncHookHandler[];
  /** For the rest of the API: one budget per user. */
  api: preHandlerAsyncHookHandler[];
}

const ONE_MINUTE_MS = 60_000;

export function createRateLimitHooks(settings: RateLimitSettings, clock: Clock, onAuthLimited: () => void): RateLimiters {
  if (!settings.enabled) return { auth: [], api: [] };
  const authLimiter = createRateLimiter({ limit: settings.authPerMinute, windowMs: ONE_MINUTE_MS, clock });
  const apiLimiter = createRateLimiter({ limit: settings.apiPerMinute, windowMs: ONE_MINUTE_MS, clock });

  const authHook: preHandlerAsyncHookHandler = async (request) => {
    const route = `${request.method} ${request.routeOptions.url ?? ""}`;
    const decisions = [authLimiter.consume(`${route}|ip|${request.ip}`)];
    const username = usernameOf(request);
    if (username !== undefined) decisions.push(authLimiter.consume(`${route}|user|${username}`));
    const refused = decisions.filter((d) => !d.allowed);
    if (refused.length > 0) {
      onAuthLimited();
      throw new RateLimitedError(Math.max(...refused.map((d) => d.resetSeconds)));
    }
  };

  const apiHook: preHandlerAsyncHookHandler = async (request, reply) => {
    const decision: RateLimitDecision = apiLimiter.consume(request.actor?.userId ?? `ip|${request.ip}`);
    reply.header("x-ratelimit-limit", decision.limit);
    reply.header("x-ratelimit-remaining", decision.remaining);
    reply.header("x-ratelimit-reset", decision.resetSeconds);
    if (!decision.allowed) throw new RateLimitedError(decision.resetSeconds);
  };

  return { auth: [authHook], api: [apiHook] };
}

function usernameOf(request: FastifyRequest): string | undefined {
  const body = request.body;
  if (typeof body === "object" && body !== null && "username" in body && typeof body.username === "string") {
    return body.username.toLowerCase();
  }
  return undefined;
}
