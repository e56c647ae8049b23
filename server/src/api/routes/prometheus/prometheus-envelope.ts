import type { FastifyError, FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { InvalidMatcherError } from "#server/modules/metric-store/index.ts";
import { PromQLError, type PromQLErrorKind } from "#server/modules/query/index.ts";
import { ServiceError } from "#server/platform/errors.ts";

/** Prometheus's error types and the HTTP statuses its API answers them with. */
const STATUS_BY_TYPE: Record<string, number> = {
  bad_data: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  execution: 422,
  too_many_requests: 429,
  canceled: 499,
  internal: 500,
  unavailable: 503,
  timeout: 503,
};

const TYPE_BY_KIND: Record<PromQLErrorKind, string> = {
  bad_data: "bad_data",
  execution: "execution",
  too_many_samples: "execution",
  timeout: "timeout",
  canceled: "canceled",
};

const TYPE_BY_CODE: Record<string, string> = {
  validation_error: "bad_data",
  unauthorized: "unauthorized",
  forbidden: "forbidden",
  not_found: "not_found",
  rate_limited: "too_many_requests",
  payload_too_large: "bad_data",
  unsupported_media_type: "bad_data",
  unavailable: "unavailable",
};

export interface PrometheusErrorBody {
  status: "error";
  errorType: string;
  error: string;
}

/**
 * Inside /prometheus/api/v1 every error has Prometheus's shape, `{ status: "error",
 * errorType, error }`, because Grafana and other Prometheus clients parse exactly that.
 */
export function registerPrometheusErrorHandler(scope: FastifyInstance): void {
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, errorType, message } = classify(error);
    if (status >= 500 && errorType === "internal") request.log.error({ error, request_id: request.id }, "prometheus API request failed");
    if (error instanceof ServiceError && error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
    if (status === 401) reply.header("www-authenticate", 'Basic realm="auspex", Bearer realm="auspex"');
    const body: PrometheusErrorBody = { status: "error", errorType, error: message };
    return reply.code(status).type("application/json").serializer(JSON.stringify).send(body);
  });
}

function classify(error: FastifyError): { status: number; errorType: string; message: string } {
  if (error instanceof PromQLError) {
    const errorType = TYPE_BY_KIND[error.kind];
    return { status: STATUS_BY_TYPE[errorType] ?? 500, errorType, message: error.message };
  }
  if (error instanceof InvalidMatcherError) return { status: 400, errorType: "bad_data", message: error.message };
  if (error instanceof ServiceError) {
    const errorType = TYPE_BY_CODE[error.code] ?? "internal";
    const status = error.code === "payload_too_large" ? 413 : error.code === "unsupported_media_type" ? 415 : (STATUS_BY_TYPE[errorType] ?? 500);
    return { status, errorType, message: error.message };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0];
    const field = issue?.instancePath.split("/").filter(Boolean).join(".") ?? "";
    return { status: 400, errorType: "bad_data", message: `invalid parameter "${field}": ${issue?.message ?? "is invalid"}` };
  }
  const status = typeof error.statusCode === "number" ? error.statusCode : 500;
  if (status >= 400 && status < 500) return { status, errorType: status === 404 ? "not_found" : "bad_data", message: error.message };
  return { status: 500, errorType: "internal", message: "internal error" };
}
