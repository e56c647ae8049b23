import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import type { ErrorCode, ErrorDetail, ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import { ServiceError } from "#server/platform/errors.ts";

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  unavailable: 503,
};

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: "validation_error",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "unavailable",
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** The single place where any error becomes `{ error: { code, message, details?, requestId } }`. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = toEnvelope(error, request);
    if (status >= 500) request.log.error({ error, request_id: request.id }, "request failed");
    if (error instanceof ServiceError && error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
    if (status === 401) reply.header("www-authenticate", 'Bearer realm="auspex"');
    return sendError(reply, status, body);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, {
      error: { code: "not_found", message: `No route ${request.method} ${request.url.split("?")[0]}`, requestId: request.id },
    }),
  );
}

function sendError(reply: FastifyReply, status: number, body: ErrorEnvelope): FastifyReply {
  // Error bodies skip response-schema serialization: they have one shape everywhere.
  return reply.code(status).type("application/json; charset=utf-8").serializer(JSON.stringify).send(body);
}

function toEnvelope(error: FastifyError, request: FastifyRequest): { status: number; body: ErrorEnvelope } {
  const requestId = request.id;
  if (error instanceof ServiceError) {
    return {
      status: httpStatusOf(error.code),
      body: { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}), requestId } },
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? "body";
    const details = error.validation.flatMap((issue) => describeIssue(where, issue.instancePath, issue.message ?? "is invalid", issue.params));
    const message = details.map((d) => `${d.field}: ${d.problem}`).join("; ");
    return { status: 400, body: { error: { code: "validation_error", message, details, requestId } } };
  }
  if (isResponseSerializationError(error)) {
    return { status: 500, body: { error: { code: "internal_error", message: "Internal error", requestId } } };
  }
  const status = typeof error.statusCode === "number" ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? "validation_error";
    return { status, body: { error: { code, message: describeFastifyError(error), requestId } } };
  }
  return { status: 500, body: { error: { code: "internal_error", message: "Internal error", requestId } } };
}

function describeIssue(where: string, instancePath: string, message: string, params: Record<string, unknown>): ErrorDetail[] {
  const base = [where, ...instancePath.split("/").filter(Boolean)].join(".");
  if (Array.isArray(params.keys)) {
    return params.keys.map((key) => ({ field: `${base}.${String(key)}`, problem: "is not an allowed field" }));
  }
  if (/received undefined$/.test(message)) return [{ field: base, problem: "is required" }];
  return [{ field: base, problem: lowerFirst(message) }];
}

function describeFastifyError(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "body: is larger than the allowed request size";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "Content-Type: is not supported here; send application/json";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "body: must not be empty when Content-Type is application/json";
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return `body: is not valid JSON (${error.message})`;
    default:
      return error.message;
  }
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0]!.toLowerCase() + text.slice(1) : text;
}
