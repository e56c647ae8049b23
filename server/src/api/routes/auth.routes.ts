import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import {
  ChangePasswordRequest,
  LoginRequest,
  RefreshRequest,
  RegisterRequest,
  RevokedCount,
  SessionList,
  TokenResponse,
  UpdateMeRequest,
  User,
} from "@auspex/shared/contracts/auth.ts";
import { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { IdParams, NoContent, bearerSecurity, clientInfo, errorResponses } from "#server/api/routes/common.ts";
import type { AuthModule } from "#server/modules/auth/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } = errorResponses;

export function registerAuthRoutes(app: FastifyInstance, { auth }: AuthModule, limits: RateLimiters): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["auth"];

  routes.post("/api/v1/auth/register", {
    schema: {
      tags,
      summary: "Create an account and log in",
      body: RegisterRequest,
      response: { 201: TokenResponse, 400: badRequest, 409: ErrorEnvelope.describe("Username or email taken"), 429: tooMany },
    },
    preHandler: limits.auth,
    handler: async (request, reply) => reply.code(201).send(await auth.registerUser(request.body, clientInfo(request))),
  });

  routes.post("/api/v1/auth/login", {
    schema: {
      tags,
      summary: "Log in by username or email",
      body: LoginRequest,
      response: { 200: TokenResponse, 400: badRequest, 401: unauthorized, 429: tooMany },
    },
    preHandler: limits.auth,
    handler: async (request) => auth.login(request.body, clientInfo(request)),
  });

  routes.post("/api/v1/auth/refresh", {
    schema: {
      tags,
      summary: "Exchange a refresh token for new tokens (the old one stops working)",
      description: "Presenting an already-rotated refresh token revokes its session.",
      body: RefreshRequest,
      response: { 200: TokenResponse, 400: badRequest, 401: unauthorized, 429: tooMany },
    },
    preHandler: limits.auth,
    handler: async (request) => auth.refreshSession(request.body.refresh_token),
  });

  routes.post("/api/v1/auth/logout", {
    schema: { tags, summary: "End the current session", security: bearerSecurity, response: { 204: NoContent, 401: unauthorized, 403: forbidden } },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request, reply) => {
      await auth.logout(actorOf(request));
      return reply.code(204).send(null);
    },
  });

  routes.get("/api/v1/auth/me", {
    schema: { tags, summary: "The current user", security: bearerSecurity, response: { 200: User, 401: unauthorized, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => auth.getMe(actorOf(request)),
  });

  routes.patch("/api/v1/auth/me", {
    schema: {
      tags,
      summary: "Change email, display name or time zone",
      security: bearerSecurity,
      body: UpdateMeRequest,
      response: { 200: User, 400: badRequest, 401: unauthorized, 403: forbidden, 409: ErrorEnvelope, 429: tooMany },
    },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request) => auth.updateMe(actorOf(request), request.body),
  });

  routes.post("/api/v1/auth/password", {
    schema: {
      tags,
      summary: "Change the password; ends every other session",
      security: bearerSecurity,
      body: ChangePasswordRequest,
      response: { 200: RevokedCount, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request) => auth.changePassword(actorOf(request), request.body),
  });

  routes.get("/api/v1/auth/sessions", {
    schema: {
      tags,
      summary: "Active login sessions; the current one is marked",
      security: bearerSecurity,
      response: { 200: SessionList, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request) => ({ sessions: await auth.listSessions(actorOf(request)) }),
  });

  routes.delete("/api/v1/auth/sessions/:id", {
    schema: {
      tags,
      summary: "Revoke another session (end the current one with logout)",
      security: bearerSecurity,
      params: IdParams,
      response: { 204: NoContent, 401: unauthorized, 403: forbidden, 404: notFound, 409: ErrorEnvelope, 429: tooMany },
    },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request, reply) => {
      await auth.revokeSession(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });

  routes.post("/api/v1/auth/sessions/revoke-all", {
    schema: {
      tags,
      summary: "Revoke every session except the current one",
      security: bearerSecurity,
      response: { 200: RevokedCount, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request) => auth.revokeOtherSessions(actorOf(request)),
  });
}
