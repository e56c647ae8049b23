import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

/** OpenAPI 3 generated from the routes' zod schemas: /openapi.json, with Swagger UI at /docs. */
export async function registerOpenApi(app: FastifyInstance, options: { version: string; publicUrl: string | undefined }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Auspex API",
        version: options.version,
        description: "Self-hosted, AI-powered infrastructure monitoring. Errors always have the shape { error: { code, message, details?, requestId } }.",
      },
      servers: options.publicUrl ? [{ url: options.publicUrl }] : [],
      components: {
        securitySchemes: {
          bearerAuth: { type: "http", scheme: "bearer", description: "A JWT access token, or an API key" },
          basicAuth: { type: "http", scheme: "basic", description: "Any username; an API key as the password" },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
