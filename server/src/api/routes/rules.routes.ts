import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { actorOf } from "#server/api/plugins/authenticate.ts";
import type { RateLimiters } from "#server/api/plugins/rate-limit.ts";
import { bearerSecurity, errorResponses } from "#server/api/routes/common.ts";
import type { RulesService } from "#server/modules/rules/index.ts";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany } = errorResponses;

const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml"];

const RulesSummary = z
  .object({
    files: z.array(z.string()).describe("The user's rule files: rules.yml (edited through PUT) and defaults/*.yml once enabled"),
    groups: z.number().int(),
    rules: z.number().int(),
  })
  .meta({ id: "RulesSummary" });

const PutRulesBody = z
  .union([z.string().describe("The rule file as YAML (Content-Type application/yaml, application/x-yaml or text/yaml)"), z.strictObject({ yaml: z.string().max(4_000_000) })])
  .meta({ examples: [{ yaml: "groups:\n  - name: example\n    rules:\n      - alert: TargetDown\n        expr: up == 0\n        for: 5m\n" }] });

const RuleAlertView = z.object({
  alertname: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  state: z.enum(["pending", "firing", "inactive"]),
  activeAt: z.string().describe("ISO-8601"),
  firedAt: z.string().optional(),
  resolvedAt: z.string().optional(),
  value: z.string().describe("The sample value, as Prometheus writes it (a string, so NaN and Inf survive JSON)"),
  generatorURL: z.string().optional(),
});

const RuleStatusView = z.object({
  name: z.string(),
  type: z.enum(["alerting", "recording"]),
  query: z.string(),
  health: z.enum(["unknown", "ok", "err"]),
  lastError: z.string().optional(),
  lastEvaluation: z.string().optional(),
  evaluationTimeSeconds: z.number(),
});

const RulesStatus = z
  .object({
    evaluation: z.boolean().describe("false when AUSPEX_RULES=false: rules are stored but not evaluated"),
    files: z.array(z.string()),
    groups: z.array(
      z.object({
        file: z.string(),
        name: z.string(),
        intervalSeconds: z.number(),
        limit: z.number().int(),
        lastEvaluation: z.string().optional(),
        evaluationTimeSeconds: z.number(),
        rules: z.array(RuleStatusView),
        alerts: z.array(RuleAlertView),
      }),
    ),
  })
  .meta({ id: "RulesStatus" });

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const promValue = (v: number): string => (Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v));

/**
 * The user's Prometheus rule file (YAML in, YAML out), the shipped defaults, and the evaluation
 * status. Reading needs the `read` scope; changing rules needs a person or an `admin` key.
 */
export async function registerRuleRoutes(app: FastifyInstance, rules: RulesService, limits: RateLimiters): Promise<void> {
  await app.register(async (scope) => {
    // YAML bodies on these routes only; the rest of the API stays JSON.
    scope.addContentTypeParser(YAML_TYPES, { parseAs: "string" }, (_request, body, done) => done(null, body));
    const routes = scope.withTypeProvider<ZodTypeProvider>();
    const tags = ["rules"];

    routes.get("/api/v1/rules", {
      schema: {
        tags,
        summary: "The user's rule file as YAML (Prometheus rule file format)",
        description: "Returns `groups: []` when the user has none. Content-Type application/yaml.",
        security: bearerSecurity,
        response: { 200: z.string().describe("YAML"), 401: unauthorized, 403: forbidden, 429: tooMany },
      },
      config: { auth: "read" },
      preHandler: limits.api,
      handler: async (request, reply) => reply.type("application/yaml; charset=utf-8").send(await rules.getRules(actorOf(request))),
    });

    routes.put("/api/v1/rules", {
      schema: {
        tags,
        summary: "Replace the user's rule file",
        description:
          "YAML body (application/yaml, application/x-yaml, text/yaml) or JSON `{ \"yaml\": \"…\" }`. Validated as Prometheus validates rule files; " +
          "a 400 names the file, group and rule of each problem in `details`, and the previous rules keep running.",
        security: bearerSecurity,
        body: PutRulesBody,
        response: { 200: RulesSummary, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
      },
      config: { auth: "admin" },
      preHandler: limits.api,
      handler: async (request) => {
        const body = request.body;
        return rules.putRules(actorOf(request), typeof body === "string" ? body : body.yaml);
      },
    });

    routes.post("/api/v1/rules/defaults", {
      schema: {
        tags,
        summary: "Enable the shipped default rules",
        description: "Seed 002's application alerts and a node_exporter set (deploy/rules/), stored as defaults/*.yml. Idempotent.",
        security: bearerSecurity,
        response: { 200: RulesSummary, 400: badRequest, 401: unauthorized, 403: forbidden, 429: tooMany },
      },
      config: { auth: "admin" },
      preHandler: limits.api,
      handler: async (request) => rules.enableDefaultRules(actorOf(request)),
    });

    routes.delete("/api/v1/rules/defaults", {
      schema: {
        tags,
        summary: "Disable the shipped default rules",
        security: bearerSecurity,
        response: { 200: RulesSummary, 401: unauthorized, 403: forbidden, 429: tooMany },
      },
      config: { auth: "admin" },
      preHandler: limits.api,
      handler: async (request) => rules.disableDefaultRules(actorOf(request)),
    });

    routes.get("/api/v1/rules/status", {
      schema: {
        tags,
        summary: "Every rule group with its rules' health, last error and evaluation, and its alerts",
        security: bearerSecurity,
        response: { 200: RulesStatus, 401: unauthorized, 403: forbidden, 429: tooMany },
      },
      config: { auth: "read" },
      preHandler: limits.api,
      handler: async (request) => {
        const status = await rules.getRuleStatus(actorOf(request));
        return {
          evaluation: status.evaluation,
          files: status.files,
          groups: status.groups.map((g) => ({
            file: g.file,
            name: g.name,
            intervalSeconds: g.intervalMs / 1000,
            limit: g.limit,
            ...(g.lastEvaluation !== undefined && { lastEvaluation: iso(g.lastEvaluation) }),
            evaluationTimeSeconds: g.evaluationMs / 1000,
            rules: g.rules.map((r) => ({
              name: r.name,
              type: r.type,
              query: r.query,
              health: r.health,
              ...(r.lastError !== undefined && { lastError: r.lastError }),
              ...(r.lastEvaluation !== undefined && { lastEvaluation: iso(r.lastEvaluation) }),
              evaluationTimeSeconds: r.evaluationMs / 1000,
            })),
            alerts: g.alerts.map((a) => ({
              alertname: a.alertname,
              labels: a.labels,
              annotations: a.annotations,
              state: a.state,
              activeAt: iso(a.activeAt)!,
              ...(a.firedAt !== undefined && { firedAt: iso(a.firedAt) }),
              ...(a.resolvedAt !== undefined && { resolvedAt: iso(a.resolvedAt) }),
              value: promValue(a.value),
              ...(a.generatorURL !== undefined && { generatorURL: a.generatorURL }),
            })),
          })),
        };
      },
    });
  });
}
