import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ChannelList, DeliveryList, DeliveryQuery, PutChannelsRequest, TestNotificationRequest, TestNotificationResult } from "@auspex/shared/contracts/notifications.ts";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { NotificationsModule } from "#server/modules/notifications/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany } = errorResponses;

/** Reading needs the `read` scope; changing channels and sending tests need a person or an `admin` key. */
export function registerNotificationRoutes(app: FastifyInstance, notifications: NotificationsModule, limits: RateLimiters): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ["notifications"];

  routes.get("/api/v1/notifications/channels", {
    schema: {
      tags,
      summary: "The user's notification channels",
      description: "Secrets are never returned: `secrets_set` names the ones stored.",
      security: bearerSecurity,
      response: { 200: ChannelList, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ channels: await notifications.listChannels(actorOf(request)) }),
  });

  routes.put("/api/v1/notifications/channels", {
    schema: {
      tags,
      summary: "Replace the user's notification channels",
      description:
        "The complete list: an entry with an `id` changes that channel, one without creates a channel, channels left out are deleted. " +
        "A secret given as a string is set, as null cleared, and kept when left out. URLs and SMTP hosts are checked against the outbound address policy (docs/outbound-policy.md).",
      security: bearerSecurity,
      body: PutChannelsRequest,
      response: { 200: ChannelList, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => ({ channels: await notifications.putChannels(actorOf(request), request.body) }),
  });

  routes.post("/api/v1/notifications/test", {
    schema: {
      tags,
      summary: "Send a test message to one channel",
      description: "Sent at once, not through the outbox; the answer reports the remote's status code and the start of its body, or the connection error.",
      security: bearerSecurity,
      body: TestNotificationRequest,
      response: { 200: TestNotificationResult, 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 429: tooMany },
    },
    config: { auth: "admin" },
    preHandler: limits.api,
    handler: async (request) => notifications.testChannel(actorOf(request), request.body.channel_id),
  });

  routes.get("/api/v1/notifications/deliveries", {
    schema: {
      tags,
      summary: "Delivery history: the user's outbox, newest first",
      security: bearerSecurity,
      querystring: DeliveryQuery,
      response: { 200: DeliveryList, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
    },
    config: { auth: "read" },
    preHandler: limits.api,
    handler: async (request) => ({ deliveries: await notifications.listDeliveries(actorOf(request), request.query) }),
  });
}
