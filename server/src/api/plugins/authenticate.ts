import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiKeyScope } from "@auspex/shared/contracts/auth.ts";
import { hasScope, type Actor } from "#server/platform/actor.ts";
import { ForbiddenError, UnauthorizedError } from "#server/platform/errors.ts";
import { looksLikeJwt, type AuthModule } from "#server/modules/auth/index.ts";

/**
 * What a route needs from its caller, declared in the route's `config.auth`:
 * - "session": a logged-in person (JWT access token);
 * - a scope: a person, or an API key holding that scope (admin holds all).
 */
export type RouteAuth = "session" | ApiKeyScope;

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** Returns the actor of an authenticated route; routes declared with config.auth always have one. */
export function actorOf(request: FastifyRequest): Actor {
  if (request.actor === null) throw new UnauthorizedError();
  return request.actor;
}

export function registerAuthentication(app: FastifyInstance, auth: AuthModule): void {
  app.decorateRequest("actor", null);

  app.addHook("onRequest", async (request) => {
    const required = request.routeOptions.config.auth;
    if (required === undefined) return;
    const actor = await resolveActor(request, auth);
    if (required === "session" && actor.kind !== "session") {
      auth.auth.recordAuthFailure("insufficient_scope");
      throw new ForbiddenError("This endpoint needs a login session, not an API key");
    }
    if (required !== "session" && !hasScope(actor, required)) {
      auth.auth.recordAuthFailure("insufficient_scope");
      throw new ForbiddenError(`This API key lacks the '${required}' scope`);
    }
    request.actor = actor;
  });
}

async function resolveActor(request: FastifyRequest, auth: AuthModule): Promise<Actor> {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === "") {
    auth.auth.recordAuthFailure("missing_credentials");
    throw new UnauthorizedError("Authentication required: send Authorization: Bearer <token>");
  }
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const credential = rest.join(" ");
  switch (scheme?.toLowerCase()) {
    case "bearer":
      if (looksLikeJwt(credential)) return auth.auth.authenticateAccessToken(credential);
      return auth.apiKeys.authenticateApiKey(credential);
    case "basic": {
      // Prometheus remote_write and Grafana send the API key as the basic-auth password.
      const decoded = Buffer.from(credential, "base64").toString("utf8");
      const separator = decoded.indexOf(":");
      if (separator < 0) break;
      return auth.apiKeys.authenticateApiKey(decoded.slice(separator + 1));
    }
    default:
      break;
  }
  auth.auth.recordAuthFailure("malformed_credentials");
  throw new UnauthorizedError("Unsupported Authorization header: use Bearer <token> or Basic with the API key as password");
}
