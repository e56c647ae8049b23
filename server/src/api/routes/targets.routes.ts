import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import { CreateTargetRequest, FileSd, Target, TargetList, UpdateTargetRequest } from "@auspex/shared/contracts/targets.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { IdParams, NoContent, bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { TargetsService } from "#server/modules/targets/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } = errorResponses;
const conflict = ErrorEnvelope.describe("Another target of this user has that name");

/** Reading needs the `read` scope; changing targets needs a person or an `admin` key (automation). */
export function registerTargetRoutes(app: FastifyInstance, targets: TargetsService, limits: RateLimiters): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["targets"];

  routes.get("/api/v1/targets", {
    schema: { tags, summary: "The user's scrape targets with their health", security: bearerSecurity, response: { 200: TargetList, 401: unauthorized, 403: forbidden, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ targets: await targets.listTargets(actorOf(request)) }),
  });

  routes.get("/api/v1/targets/file-sd", {
    schema: {
      tags,
      summary: "The user's enabled targets as Prometheus file_sd JSON",
      description: "Each group carries `job`, `name` and `user_id` labels; a non-default scheme or path travels as `__scheme__` / `__metrics_path__`.",
      security: bearerSecurity,
      response: { 200: FileSd, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => targets.exportFileSd(actorOf(request)),
  });

  routes.post("/api/v1/targets", {
    schema: {
      tags,
      summary: "Add a scrape target",
      description: "The address is resolved and checked against the outbound address policy (docs/outbound-policy.md).",
      security: bearerSecurity,
      body: CreateTargetRequest,
      response: { 201: Target, 400: badRequest, 401: unauthorized, 403: forbidden, 409: conflict, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request, reply) => reply.code(201).send(await targets.createTarget(actorOf(request), request.body)),
  });

  routes.get("/api/v1/targets/:id", {
    schema: { tags, summary: "One scrape target with its health", security: bearerSecurity, params: IdParams, response: { 200: Target, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => targets.getTarget(actorOf(request), request.params.id),
  });

  routes.patch("/api/v1/targets/:id", {
    schema: {
      tags,
      summary: "Change a scrape target",
      security: bearerSecurity,
      params: IdParams,
      body: UpdateTargetRequest,
      response: { 200: Target, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 409: conflict, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => targets.updateTarget(actorOf(request), request.params.id, request.body),
  });

  routes.delete("/api/v1/targets/:id", {
    schema: { tags, summary: "Remove a scrape target", security: bearerSecurity, params: IdParams, response: { 204: NoContent, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request, reply) => {
      await targets.deleteTarget(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
