import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import helmet from "helmet";

/**
 * helmet's default security headers, computed once at startup and set on every reply.
 * (@fastify/helmet re-runs helmet for each request, about 5% of an authenticated GET.)
 */
export function registerSecurityHeaders(app: FastifyInstance, options: { https: boolean }): void {
  const headers = helmetHeaders(options.https);
  app.addHook("onRequest", async (_request, reply) => {
    reply.headers(headers);
  });
}

/*
 * Self-hosted installs are often reached over plain HTTP on a LAN address: there, HSTS and
 * CSP's upgrade-insecure-requests would make browsers ask for https and break the UI, so both
 * are sent only when AUSPEX_PUBLIC_URL says Auspex is served over https.
 */
function helmetHeaders(https: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  // helmet's default policies read nothing from the request and only set or remove headers,
  // so a recording stand-in for the response captures exactly what it would send.
  const policies = helmet({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: https ? [] : null } },
    strictTransportSecurity: https,
  });
  policies({} as IncomingMessage, response as unknown as ServerResponse, () => undefined);
  return headers;
}
