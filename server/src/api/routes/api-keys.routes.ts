import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ApiKeyList, CreateApiKeyRequest, CreatedApiKey } from "@auspex/shared/contracts/auth.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { IdParams, NoContent, bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { AuthModule } from "#server/modules/auth/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } = errorResponses;

export function registerApiKeyRoutes(app: FastifyInstance, { apiKeys }: AuthModule, limits: RateLimiters): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["api-keys"];

  routes.get("/api/v1/api-keys", {
    schema: { tags, summary: "The user's API keys (never their secrets)", security: bearerSecurity, response: { 200: ApiKeyList, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request) => ({ api_keys: await apiKeys.listApiKeys(actorOf(request)) }),
  });

  routes.post("/api/v1/api-keys", {
    schema: {
      tags,
      summary: "Create an API key; the secret is in this response only",
      description: "Send it as `Authorization: Bearer <key>` or as the password of HTTP basic auth.",
      security: bearerSecurity,
      body: CreateApiKeyRequest,
      response: { 201: CreatedApiKey, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request, reply) => reply.code(201).send(await apiKeys.createApiKey(actorOf(request), request.body)),
  });

  routes.delete("/api/v1/api-keys/:id", {
    schema: {
      tags,
      summary: "Revoke an API key",
      security: bearerSecurity,
      params: IdParams,
      response: { 204: NoContent, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany },
    },
    config: { auth: "session" },
    preHandler: limits.api,
    handler: async (request, reply) => {
      await apiKeys.revokeApiKey(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
