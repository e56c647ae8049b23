import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { machineSecurity } from "#server/api/routes/common.ts";
import { registerPrometheusErrorHandler } from "#server/api/routes/prometheus/prometheus-envelope.ts";
import { formatQueryData, matrixSuccessJson } from "#server/api/routes/prometheus/prometheus-format.ts";
import {
  badData,
  many,
  optionalLimit,
  optionalTime,
  parseDurationParam,
  parseTime,
  required,
  single,
  type Params,
} from "#server/api/routes/prometheus/prometheus-params.ts";
import type { RemoteWriteService } from "#server/modules/ingest/index.ts";
import type { MetadataService } from "#server/modules/metadata/index.ts";
import { MAX_TIME_MS, MIN_TIME_MS, type QueryService } from "#server/modules/query/index.ts";
import type { Clock } from "#server/platform/clock.ts";
import { ServiceError } from "#server/platform/errors.ts";

export const PROMETHEUS_PREFIX = "/prometheus/api/v1";

export interface PrometheusRouteDeps {
  query: QueryService;
  remoteWrite: RemoteWriteService;
  metadata: MetadataService;
  /** Largest compressed remote_write body accepted. */
  writeBodyLimitBytes: number;
  version: string;
  limits: RateLimiters;
  clock: Clock;
}

/** GET query string merged with a form-encoded POST body, as Prometheus reads r.Form. */
function paramsOf(request: FastifyRequest): Params {
  const query = (request.query ?? {}) as Params;
  const body = typeof request.body === "object" && request.body !== null ? (request.body as Params) : {};
  const merged: Params = { ...query };
  for (const [key, value] of Object.entries(body)) {
    const existing = merged[key];
    merged[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), ...(Array.isArray(value) ? value : value === undefined ? [] : [value])];
  }
  return merged;
}

const success = <T>(data: T) => ({ status: "success" as const, data });

/**
 * The Prometheus HTTP API subset under /prometheus/api/v1, for Grafana's Prometheus data
 * source and other Prometheus clients: Prometheus's parameters (GET and form POST), its
 * response envelope and its error types. Read endpoints need the `read` scope.
 */
export async function registerPrometheusRoutes(app: FastifyInstance, deps: PrometheusRouteDeps): Promise<void> {
  await app.register(
    async (scope) => {
      registerPrometheusErrorHandler(scope);
      scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
        const params: Params = {};
        for (const [key, value] of new URLSearchParams(body as string)) {
          const existing = params[key];
          params[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
        }
        done(null, params);
      });

      scope.addContentTypeParser("application/x-protobuf", { parseAs: "buffer", bodyLimit: deps.writeBodyLimitBytes }, (_request, body, done) => {
        done(null, body);
      });

      const tags = ["prometheus"];

      scope.post(
        "/write",
        {
          schema: {
            tags,
            summary: "Prometheus remote_write 1.0 receiver (protobuf + snappy)",
            description: "Needs an API key with the `ingest` scope, as a bearer token or the basic-auth password. 204 once the samples are durable.",
            security: machineSecurity,
          },
          config: { auth: "ingest" },
          bodyLimit: deps.writeBodyLimitBytes,
          // Before body parsing, so a JSON or gzip body gets 415 rather than a parse error.
          preParsing: async (request, _reply, payload) => {
            assertRemoteWriteHeaders(request);
            return payload;
          },
        },
        async (request, reply) => {
          if (!Buffer.isBuffer(request.body)) throw new ServiceError("unsupported_media_type", "Content-Type must be application/x-protobuf");
          await deps.remoteWrite.ingestRemoteWrite(actorOf(request), request.body);
          return reply.code(204).send();
        },
      );
      const common = { config: { auth: "read" as const }, preHandler: deps.limits.api };
      const readRoute = (url: string, summary: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => {
        for (const method of ["GET", "POST"] as const) {
          scope.route({ method, url, schema: { tags, summary, security: machineSecurity }, ...common, handler: (request, reply) => handler(request, reply) });
        }
      };

      readRoute("/query", "Evaluate PromQL at one instant (query, time, timeout)", async (request) => {
        const params = paramsOf(request);
        const query = required(params, "query");
        const time = optionalTime(params, "time", deps.clock.now().getTime());
        const value = await deps.query.instantQuery(actorOf(request), { query, time, ...timeoutOf(params) });
        return success(formatQueryData(value, time));
      });

      readRoute("/query_range", "Evaluate PromQL over a range (query, start, end, step, timeout)", async (request, reply) => {
        const params = paramsOf(request);
        const query = required(params, "query");
        const start = parseTime(required(params, "start"), "start");
        const end = parseTime(required(params, "end"), "end");
        const step = parseDurationParam(required(params, "step"), "step");
        const matrix = await deps.query.rangeQuery(actorOf(request), { query, start, end, step, ...timeoutOf(params) });
        // The same JSON as returning success(formatMatrix(matrix)), written without the per-point arrays.
        return reply.type("application/json; charset=utf-8").send(matrixSuccessJson(matrix));
      });

      readRoute("/series", "Series matching selectors (match[], start, end, limit)", async (request) => {
        const params = paramsOf(request);
        const match = many(params, "match[]");
        if (match.length === 0) throw badData("no match[] parameter provided");
        return success(
          await deps.query.listSeries(actorOf(request), {
            match,
            start: optionalTime(params, "start", MIN_TIME_MS),
            end: optionalTime(params, "end", MAX_TIME_MS),
            ...limitOf(params),
          }),
        );
      });

      readRoute("/labels", "Label names (match[], start, end, limit)", async (request) => {
        const params = paramsOf(request);
        return success(
          await deps.query.listLabelNames(actorOf(request), {
            match: many(params, "match[]"),
            start: optionalTime(params, "start", MIN_TIME_MS),
            end: optionalTime(params, "end", MAX_TIME_MS),
            ...limitOf(params),
          }),
        );
      });

      scope.get<{ Params: { name: string } }>(
        "/label/:name/values",
        { schema: { tags, summary: "Values of one label (match[], start, end, limit)", security: machineSecurity }, ...common },
        async (request) => {
          const params = paramsOf(request);
          return success(
            await deps.query.listLabelValues(actorOf(request), request.params.name, {
              match: many(params, "match[]"),
              start: optionalTime(params, "start", MIN_TIME_MS),
              end: optionalTime(params, "end", MAX_TIME_MS),
              ...limitOf(params),
            }),
          );
        },
      );

      // Auspex keeps no exemplars; Grafana asks for them alongside range queries.
      readRoute("/query_exemplars", "Exemplars (none are stored: always empty)", async (request) => {
        required(paramsOf(request), "query");
        return success([]);
      });

      scope.get("/metadata", { schema: { tags, summary: "Metric metadata (metric, limit)", security: machineSecurity }, ...common }, async (request) => {
        const params = paramsOf(request);
        const metric = single(params, "metric");
        return success(
          await deps.metadata.listMetadata(actorOf(request), { ...(metric ? { metric } : {}), ...limitOf(params) }),
        );
      });

      scope.get("/status/buildinfo", { schema: { tags, summary: "Build information", security: machineSecurity }, ...common }, async () =>
        success({
          // Clients such as Grafana switch features on this version: Auspex speaks the 3.x API.
          version: "3.0.0",
          revision: `auspex-${deps.version}`,
          branch: "main",
          buildUser: "auspex",
          buildDate: "",
          goVersion: "",
          application: "Auspex",
          auspexVersion: deps.version,
        }),
      );
    },
    { prefix: PROMETHEUS_PREFIX },
  );
}

/** remote_write 1.0 only: protobuf WriteRequest, snappy block compression. */
function assertRemoteWriteHeaders(request: FastifyRequest): void {
  const contentType = (request.headers["content-type"] ?? "").toLowerCase();
  const [mediaType, ...parameters] = contentType.split(";").map((part) => part.trim());
  if (mediaType !== "application/x-protobuf") {
    throw new ServiceError("unsupported_media_type", `Content-Type must be application/x-protobuf, not '${contentType || "(none)"}'`);
  }
  const proto = parameters.find((p) => p.startsWith("proto="))?.slice("proto=".length);
  if (proto !== undefined && proto !== "prometheus.writerequest") {
    throw new ServiceError("unsupported_media_type", `only remote_write 1.0 (prometheus.WriteRequest) is supported, not proto=${proto}`);
  }
  const encoding = (request.headers["content-encoding"] ?? "").toLowerCase();
  if (encoding !== "snappy") {
    throw new ServiceError("unsupported_media_type", `Content-Encoding must be snappy, not '${encoding || "(none)"}'`);
  }
}

function timeoutOf(params: Params): { timeoutMs?: number } {
  const text = single(params, "timeout");
  return text === undefined || text === "" ? {} : { timeoutMs: parseDurationParam(text, "timeout") };
}

function limitOf(params: Params): { limit?: number } {
  const limit = optionalLimit(params);
  return limit === undefined ? {} : { limit };
}
