import type { FastifyInstance } from "fastify";
import { newId } from "#server/platform/ids.ts";
import type { Metrics } from "#server/platform/metrics.ts";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's X-Request-Id is kept when it is sane, so ids can follow a request across systems. */
export function requestIdFor(header: string | string[] | undefined): string {
  return typeof header === "string" && SAFE_REQUEST_ID.test(header) ? header : newId();
}

/** Request id echo, one access-log line per request, and the HTTP metrics. */
export function registerRequestContext(app: FastifyInstance, metrics: Metrics): void {
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
  });

  app.addHook("onResponse", async (request, reply) => {
    // The route template, never the raw URL: label values must stay few.
    const route = request.routeOptions.url ?? "unmatched";
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    const seconds = reply.elapsedTime / 1000;
    metrics.http.requests.inc(labels);
    metrics.http.duration.observe(labels, seconds);
    const level = isOperationalRoute(route) ? "debug" : "info";
    request.log[level](
      {
        user_id: request.actor?.userId ?? null,
        method: request.method,
        route,
        path: request.url.split("?")[0],
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      "request completed",
    );
  });
}

/** Probes and documentation are fetched constantly; their access lines are debug-level noise. */
function isOperationalRoute(route: string): boolean {
  return route === "/health" || route === "/api/health" || route === "/metrics" || route === "/openapi.json" || route.startsWith("/docs");
}
