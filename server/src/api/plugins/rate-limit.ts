import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { RateLimitedError } from "#server/platform/errors.ts";

export interface RateLimitSettings {
  enabled: boolean;
  authPerMinute: number;
  apiPerMinute: number;
}

export interface RateLimiters {
  /** For login/register/refresh: one bucket per client IP and one per username, per endpoint. */
  auth: preHandlerAsyncHookHandler[];
  /** For the rest of the API: one bucket per user. */
  api: preHandlerAsyncHookHandler[];
}

const ONE_MINUTE_MS = 60_000;

export async function registerRateLimits(app: FastifyInstance, settings: RateLimitSettings, onLimited: (request: FastifyRequest) => void): Promise<RateLimiters> {
  if (!settings.enabled) return { auth: [], api: [] };
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (request, context) => {
      onLimited(request);
      return new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000)));
    },
  });
  const limiter = (max: number, key: (request: FastifyRequest) => string): preHandlerAsyncHookHandler =>
    app.rateLimit({ max, timeWindow: ONE_MINUTE_MS, keyGenerator: key });

  const routeOf = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? ""}`;
  return {
    auth: [
      limiter(settings.authPerMinute, (request) => `${routeOf(request)}|ip|${request.ip}`),
      limiter(settings.authPerMinute, (request) => `${routeOf(request)}|user|${usernameOf(request) ?? request.ip}`),
    ],
    api: [limiter(settings.apiPerMinute, (request) => `api|user|${request.actor?.userId ?? request.ip}`)],
  };
}

function usernameOf(request: FastifyRequest): string | undefined {
  const body = request.body;
  if (typeof body === "object" && body !== null && "username" in body && typeof body.username === "string") {
    return body.username.toLowerCase();
  }
  return undefined;
}
