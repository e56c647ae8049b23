import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { InjectOptions } from "fastify";
import type { TokenResponse } from "@auspex/shared/contracts/auth.ts";
import type { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import type { HealthReport } from "@auspex/shared/contracts/health.ts";
import { VERSION, createAuspex } from "#server/compose.ts";
import { loadConfig } from "#server/config/load-config.ts";
import { createLogger } from "#server/platform/logger.ts";
import { TEST_PASSWORD, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/*
 * The platform around the routes: health, metrics, OpenAPI and docs, request
 * ids, CORS, security headers, body limits, content types and the 404 envelope.
 */


/** The value of one Prometheus sample line, or undefined. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const EXPECTED_ROUTES: Array<[string, string]> = [
  ["get", "/health"],
  ["get", "/api/health"],
  ["get", "/metrics"],
  ["post", "/api/v1/auth/register"],
  ["post", "/api/v1/auth/login"],
  ["post", "/api/v1/auth/refresh"],
  ["post", "/api/v1/auth/logout"],
  ["get", "/api/v1/auth/me"],
  ["patch", "/api/v1/auth/me"],
  ["post", "/api/v1/auth/password"],
  ["get", "/api/v1/auth/sessions"],
  ["delete", "/api/v1/auth/sessions/{id}"],
  ["post", "/api/v1/auth/sessions/revoke-all"],
  ["get", "/api/v1/api-keys"],
  ["post", "/api/v1/api-keys"],
  ["delete", "/api/v1/api-keys/{id}"],
];

describe("platform routes", () => {
  let t: TestApp;
  const inject = (options: InjectOptions) => t.auspex.app.inject(options);

  before(async () => {
    t = await startTestApp({ AUSPEX_BODY_LIMIT_BYTES: "2048", AUSPEX_CORS_ORIGINS: "http://ui.example,http://localhost:5173" });
  });
  after(() => t.close());

  describe("health", () => {
    for (const url of ["/health", "/api/health"]) {
      it(`GET ${url} reports limited without an LLM provider, without authentication`, async () => {
        const response = await inject({ method: "GET", url });
        assert.equal(response.statusCode, 200, response.body);
        const report = response.json<HealthReport>();
        assert.equal(report.status, "limited");
        assert.equal(report.platform, "Auspex");
        assert.equal(report.version, VERSION);
        assert.ok(!Number.isNaN(Date.parse(report.timestamp)));
        assert.ok(Number.isInteger(report.uptime_seconds) && report.uptime_seconds >= 0);
        assert.equal(report.services.database.status, "connected");
        assert.equal(report.services.database.error, null);
        assert.deepEqual(report.services.metric_store, { status: "connected", type: "embedded", error: null });
        assert.equal(report.services.ai_providers.configured, 0);
        assert.ok(report.services.ai_providers.total >= 1);
        assert.ok(Object.values(report.services.ai_providers.status).every((configured) => configured === false));
        assert.equal(typeof report.system.memory_used_percent, "number");
        assert.equal(typeof report.system.memory_available_mb, "number");
      });
    }

    it("reports degraded with 503 when the database does not answer", async () => {
      const broken = await startTestApp();
      try {
        await broken.auspex.database.close();
        const response = await broken.auspex.app.inject({ method: "GET", url: "/health" });
        assert.equal(response.statusCode, 503, response.body);
        const report = response.json<HealthReport>();
        assert.equal(report.status, "degraded");
        assert.equal(report.services.database.status, "error");
        assert.equal(typeof report.services.database.error, "string");
      } finally {
        await broken.auspex.app.close();
        rmSync(broken.dataDir, { recursive: true, force: true });
      }
    });

    it("reports healthy with one provider configured when AUSPEX_LLM_PRIMARY_API_KEY is set", async () => {
      const withLlm = await startTestApp({ AUSPEX_LLM_PRIMARY_API_KEY: "sk-test-not-a-real-key" });
      try {
        for (const url of ["/health", "/api/health"]) {
          const response = await withLlm.auspex.app.inject({ method: "GET", url });
          assert.equal(response.statusCode, 200);
          const report = response.json<HealthReport>();
          assert.equal(report.status, "healthy");
          assert.equal(report.services.ai_providers.configured, 1);
          assert.equal(report.services.ai_providers.status.primary, true);
          assert.deepEqual(report.services.ai_providers.providers, [{ name: "primary", kind: "openai", model: "gpt-4o-mini", circuit: "closed" }]);
          assert.ok(!response.body.includes("sk-test-not-a-real-key"), "the key is never shown");
        }
      } finally {
        await withLlm.close();
      }
    });
  });

  describe("metrics", () => {
    it("exposes Prometheus text with route templates, never raw ids", async () => {
      const alice = await t.register("metrics_user");
      const second = await inject({ method: "POST", url: "/api/v1/auth/login", payload: { username: "metrics_user", password: TEST_PASSWORD } });
      const secondSession = second.json<TokenResponse>().session_id;
      assert.equal((await inject({ method: "DELETE", url: `/api/v1/auth/sessions/${secondSession}`, headers: t.bearer(alice.access_token) })).statusCode, 204);
      const missingId = "01900000-0000-7000-8000-00000000abcd";
      assert.equal((await inject({ method: "DELETE", url: `/api/v1/api-keys/${missingId}`, headers: t.bearer(alice.access_token) })).statusCode, 404);
      const unknownPath = "/api/v1/no-such-thing/0190aaaa-0000-7000-8000-000000000001";
      assert.equal((await inject({ method: "GET", url: unknownPath })).statusCode, 404);

      const response = await inject({ method: "GET", url: "/metrics" });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers["content-type"]), /^text\/plain/);
      const metrics = response.body;

      assert.match(metrics, /^http_requests_total\{method="DELETE",route="\/api\/v1\/auth\/sessions\/:id",status="204"\} 1$/m);
      assert.match(metrics, /^http_requests_total\{method="DELETE",route="\/api\/v1\/api-keys\/:id",status="404"\} 1$/m);
      assert.match(metrics, /^http_requests_total\{method="POST",route="\/api\/v1\/auth\/register",status="201"\} \d+$/m);
      assert.match(metrics, /^http_request_duration_seconds_bucket\{le="[^"]+",method="DELETE",route="\/api\/v1\/auth\/sessions\/:id",status="204"\} 1$/m);
      for (const raw of [secondSession, missingId, alice.user.id, "no-such-thing"]) {
        assert.ok(!metrics.includes(raw), `no raw id or URL in labels: ${raw}`);
      }
    });

    it("registers the auth, session and AI metrics", async () => {
      const metrics = (await inject({ method: "GET", url: "/metrics" })).body;
      for (const name of [
        "http_requests_total",
        "http_request_duration_seconds",
        "auspex_active_sessions",
        "auspex_sessions_total",
        "auspex_auth_failures_total",
        "ai_api_calls_total",
        "ai_api_duration_seconds",
        "ai_tokens_used_total",
        "ai_errors_total",
        "process_cpu_seconds_total",
      ]) {
        assert.match(metrics, new RegExp(`^# TYPE ${name} `, "m"), `${name} is registered`);
      }
    });

    it("counts sessions and authentication failures by reason", async () => {
      const fresh = await startTestApp();
      try {
        const app = fresh.auspex.app;
        const read = async () => (await app.inject({ method: "GET", url: "/metrics" })).body;
        const a = await fresh.register("count_a");
        await fresh.register("count_b");
        const login = await app.inject({ method: "POST", url: "/api/v1/auth/login", payload: { username: "count_a", password: TEST_PASSWORD } });
        const third = login.json<TokenResponse>();
        let metrics = await read();
        assert.equal(sample(metrics, "auspex_sessions_total"), 3);
        assert.equal(sample(metrics, "auspex_active_sessions"), 3);

        await app.inject({ method: "DELETE", url: `/api/v1/auth/sessions/${third.session_id}`, headers: fresh.bearer(a.access_token) });
        await app.inject({ method: "POST", url: "/api/v1/auth/login", payload: { username: "count_a", password: "wrong-password-1" } });
        await app.inject({ method: "POST", url: "/api/v1/auth/login", payload: { username: "nobody_here", password: "wrong-password-1" } });
        await app.inject({ method: "GET", url: "/api/v1/auth/me" });
        await app.inject({ method: "GET", url: "/api/v1/auth/me", headers: fresh.bearer("x.y.z") });
        await app.inject({ method: "GET", url: "/api/v1/auth/me", headers: fresh.bearer(third.access_token) });
        await app.inject({ method: "GET", url: "/api/v1/auth/me", headers: fresh.bearer("auk_not-a-key") });

        metrics = await read();
        assert.equal(sample(metrics, "auspex_active_sessions"), 2, "the revoked session is no longer active");
        assert.equal(sample(metrics, "auspex_sessions_total"), 3, "a counter of created sessions");
        assert.equal(sample(metrics, 'auspex_auth_failures_total{reason="bad_credentials"}'), 2);
        assert.equal(sample(metrics, 'auspex_auth_failures_total{reason="missing_credentials"}'), 1);
        assert.equal(sample(metrics, 'auspex_auth_failures_total{reason="invalid_token"}'), 1);
        assert.equal(sample(metrics, 'auspex_auth_failures_total{reason="revoked_session"}'), 1);
        assert.equal(sample(metrics, 'auspex_auth_failures_total{reason="invalid_api_key"}'), 1);
      } finally {
        await fresh.close();
      }
    });
  });

  describe("OpenAPI and docs", () => {
    it("serves an OpenAPI 3 document listing every route", async () => {
      const response = await inject({ method: "GET", url: "/openapi.json" });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers["content-type"]), /^application\/json/);
      const doc = response.json<{
        openapi: string;
        info: { title: string; version: string };
        paths: Record<string, Record<string, { responses?: Record<string, unknown>; parameters?: Array<{ in: string; name: string }> }>>;
        components: { securitySchemes: Record<string, unknown> };
      }>();
      assert.match(doc.openapi, /^3\./);
      assert.equal(doc.info.title, "Auspex API");
      assert.equal(doc.info.version, VERSION);
      for (const [method, route] of EXPECTED_ROUTES) {
        assert.ok(doc.paths[route]?.[method], `${method.toUpperCase()} ${route} is documented`);
      }
      assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ["basicAuth", "bearerAuth"]);
      for (const route of ["/api/v1/auth/sessions/{id}", "/api/v1/api-keys/{id}"]) {
        const parameters = doc.paths[route]?.delete?.parameters ?? [];
        assert.ok(parameters.some((p) => p.in === "path" && p.name === "id"), `${route} documents its id parameter`);
        assert.ok(doc.paths[route]?.delete?.responses?.["404"], `${route} documents 404`);
      }
      assert.ok(!doc.paths["/openapi.json"], "the document does not list itself");
      assert.ok(!Object.keys(doc.paths).some((p) => p.includes(":")), "paths use {param}, not :param");
    });

    it("serves Swagger UI as HTML at /docs", async () => {
      const response = await inject({ method: "GET", url: "/docs" });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers["content-type"]), /^text\/html/);
      assert.match(response.body, /<html/i);
      assert.match(response.body, /swagger/i);
    });
  });

  describe("request ids", () => {
    it("sends x-request-id on every response, a new one per request", async () => {
      const one = await inject({ method: "GET", url: "/health" });
      const two = await inject({ method: "GET", url: "/health" });
      const id1 = one.headers["x-request-id"];
      const id2 = two.headers["x-request-id"];
      assert.equal(typeof id1, "string");
      assert.ok(String(id1).length >= 8);
      assert.notEqual(id1, id2);
    });

    it("echoes a sane incoming X-Request-Id, in the header and in error bodies", async () => {
      const ok = await inject({ method: "GET", url: "/health", headers: { "x-request-id": "trace-abc.123:XYZ_9" } });
      assert.equal(ok.headers["x-request-id"], "trace-abc.123:XYZ_9");

      const failed = await inject({ method: "GET", url: "/api/v1/auth/me", headers: { "x-request-id": "caller-req-42" } });
      assert.equal(failed.headers["x-request-id"], "caller-req-42");
      assert.equal(assertError(failed, 401, "unauthorized").error.requestId, "caller-req-42");

      const invalid = await inject({ method: "POST", url: "/api/v1/auth/login", headers: { "x-request-id": "caller-req-43" }, payload: {} });
      assert.equal(assertError(invalid, 400, "validation_error").error.requestId, "caller-req-43");

      const missing = await inject({ method: "GET", url: "/nowhere", headers: { "x-request-id": "caller-req-44" } });
      assert.equal(assertError(missing, 404, "not_found").error.requestId, "caller-req-44");
    });

    it("replaces an unsafe or oversized incoming X-Request-Id", async () => {
      for (const unsafe of ["has spaces in it", "<script>alert(1)</script>", "x".repeat(129), "quote\"id", "new\\nline"]) {
        const response = await inject({ method: "GET", url: "/api/v1/auth/me", headers: { "x-request-id": unsafe } });
        const id = response.headers["x-request-id"];
        assert.notEqual(id, unsafe);
        assert.match(String(id), /^[A-Za-z0-9._:-]{1,128}$/);
        assert.equal(response.json<ErrorEnvelope>().error.requestId, id);
      }
    });
  });

  describe("CORS", () => {
    it("allows a configured origin", async () => {
      for (const origin of ["http://ui.example", "http://localhost:5173"]) {
        const response = await inject({ method: "GET", url: "/health", headers: { origin } });
        assert.equal(response.headers["access-control-allow-origin"], origin);
        assert.equal(response.headers["access-control-allow-credentials"], "true");
        assert.match(String(response.headers["access-control-expose-headers"]), /x-request-id/i);
      }
    });

    it("does not allow another origin", async () => {
      for (const origin of ["http://evil.example", "http://ui.example.evil.example", "https://ui.example"]) {
        const response = await inject({ method: "GET", url: "/health", headers: { origin } });
        assert.equal(response.headers["access-control-allow-origin"], undefined, origin);
      }
    });

    it("answers preflights for the allowed origin only", async () => {
      const allowed = await inject({
        method: "OPTIONS",
        url: "/api/v1/auth/login",
        headers: { origin: "http://ui.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
      assert.ok(allowed.statusCode === 204 || allowed.statusCode === 200, String(allowed.statusCode));
      assert.equal(allowed.headers["access-control-allow-origin"], "http://ui.example");
      assert.match(String(allowed.headers["access-control-allow-methods"]), /POST/);
      assert.match(String(allowed.headers["access-control-allow-headers"]), /content-type/i);

      const denied = await inject({
        method: "OPTIONS",
        url: "/api/v1/auth/login",
        headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
      });
      assert.equal(denied.headers["access-control-allow-origin"], undefined);
    });

    // The API's own verbs: a browser UI on an allowed origin must be able to edit /me and revoke sessions and keys.
    for (const [method, url] of [
      ["PATCH", "/api/v1/auth/me"],
      ["DELETE", "/api/v1/auth/sessions/some-id"],
      ["DELETE", "/api/v1/api-keys/some-id"],
    ] as const) {
      it(`allows ${method} ${url} in a preflight from an allowed origin`, async () => {
        const response = await inject({
          method: "OPTIONS",
          url,
          headers: { origin: "http://ui.example", "access-control-request-method": method, "access-control-request-headers": "authorization,content-type" },
        });
        assert.equal(response.headers["access-control-allow-origin"], "http://ui.example");
        assert.match(String(response.headers["access-control-allow-headers"]), /authorization/i);
        const methods = String(response.headers["access-control-allow-methods"]).split(/\s*,\s*/);
        assert.ok(methods.includes(method), `Access-Control-Allow-Methods '${methods.join(",")}' must include ${method}`);
      });
    }

    it("allows no origin at all when AUSPEX_CORS_ORIGINS is empty", async () => {
      const closed = await startTestApp();
      try {
        const response = await closed.auspex.app.inject({ method: "GET", url: "/health", headers: { origin: "http://ui.example" } });
        assert.equal(response.headers["access-control-allow-origin"], undefined);
      } finally {
        await closed.close();
      }
    });
  });

  describe("security headers", () => {
    it("are sent on successes and on errors", async () => {
      const responses = [
        await inject({ method: "GET", url: "/health" }),
        await inject({ method: "GET", url: "/metrics" }),
        await inject({ method: "GET", url: "/api/v1/auth/me" }),
        await inject({ method: "GET", url: "/no/such/route" }),
        await inject({ method: "POST", url: "/api/v1/auth/login", payload: {} }),
      ];
      for (const response of responses) {
        assert.equal(response.headers["x-content-type-options"], "nosniff");
        assert.equal(response.headers["x-frame-options"], "SAMEORIGIN");
        assert.ok(response.headers["content-security-policy"], "content-security-policy");
        assert.equal(response.headers["referrer-policy"], "no-referrer");
        assert.equal(response.headers["x-powered-by"], undefined);
        // Plain-HTTP installs (no https AUSPEX_PUBLIC_URL) must not be told to upgrade to https.
        assert.equal(response.headers["strict-transport-security"], undefined);
        assert.doesNotMatch(String(response.headers["content-security-policy"]), /upgrade-insecure-requests/);
      }
    });

    it("add HSTS and upgrade-insecure-requests when AUSPEX_PUBLIC_URL is https", async () => {
      const secure = await startTestApp({ AUSPEX_PUBLIC_URL: "https://auspex.example.com" });
      try {
        const response = await secure.auspex.app.inject({ method: "GET", url: "/health" });
        assert.match(String(response.headers["strict-transport-security"]), /max-age=\d+/);
        assert.match(String(response.headers["content-security-policy"]), /upgrade-insecure-requests/);
      } finally {
        await secure.close();
      }
    });
  });

  describe("authentication challenges", () => {
    it("sends WWW-Authenticate: Bearer with every 401, and not with 403", async () => {
      for (const headers of [{}, { authorization: "Bearer not.a.jwt" }, { authorization: "Token x" }]) {
        const response = await inject({ method: "GET", url: "/api/v1/auth/me", headers });
        assertError(response, 401, "unauthorized");
        assert.match(String(response.headers["www-authenticate"]), /^Bearer\b/);
      }
      const login = await inject({ method: "POST", url: "/api/v1/auth/login", payload: { username: "nobody_at_all", password: "wrong-password-1" } });
      assertError(login, 401, "unauthorized");
      const tokens = await t.register("challenge_user");
      const created = await inject({ method: "POST", url: "/api/v1/api-keys", headers: t.bearer(tokens.access_token), payload: { name: "i", scopes: ["ingest"] } });
      const forbidden = await inject({ method: "GET", url: "/api/v1/auth/me", headers: t.bearer(created.json<{ key: string }>().key) });
      assertError(forbidden, 403, "forbidden");
      assert.equal(forbidden.headers["www-authenticate"], undefined);
    });
  });

  describe("request bodies", () => {
    it("rejects a body over AUSPEX_BODY_LIMIT_BYTES with 413 payload_too_large", async () => {
      const payload = JSON.stringify({ username: "u".repeat(3000), password: "p" });
      const response = await inject({ method: "POST", url: "/api/v1/auth/login", headers: { "content-type": "application/json" }, payload });
      const body = assertError(response, 413, "payload_too_large");
      assert.match(body.error.message, /body/);
    });

    it("rejects an oversized body on an authenticated route with 413 too", async () => {
      const tokens = await t.register("big_body");
      const response = await inject({
        method: "PATCH",
        url: "/api/v1/auth/me",
        headers: { ...t.bearer(tokens.access_token), "content-type": "application/json" },
        payload: JSON.stringify({ display_name: "d".repeat(4000) }),
      });
      assertError(response, 413, "payload_too_large");
    });

    it("accepts a body just under the limit (and judges it on its content)", async () => {
      const payload = JSON.stringify({ username: "u".repeat(1900), password: "p" });
      assert.ok(Buffer.byteLength(payload) < 2048);
      const response = await inject({ method: "POST", url: "/api/v1/auth/login", headers: { "content-type": "application/json" }, payload });
      assertError(response, 400, "validation_error");
    });

    for (const contentType of ["application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      it(`rejects Content-Type ${contentType} with 415`, async () => {
        const response = await inject({ method: "POST", url: "/api/v1/auth/login", headers: { "content-type": contentType }, payload: "username=a&password=b" });
        assertError(response, 415, "unsupported_media_type");
      });
    }

    it("rejects Content-Type text/plain on a JSON endpoint with 415", async () => {
      const response = await inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { "content-type": "text/plain" },
        payload: JSON.stringify({ username: "someone", password: "something-long" }),
      });
      assertError(response, 415, "unsupported_media_type");
    });

    for (const [name, payload] of [
      ["malformed JSON", "{not json"],
      ["truncated JSON", '{"username": "a", "password": '],
      ["JSON with trailing garbage", '{"username":"a","password":"b"} trailing'],
      ["an empty JSON body", ""],
      ["a prototype-poisoning body", '{"username":"a","password":"bbbbbbbbbb","__proto__":{"admin":true}}'],
    ] as const) {
      it(`rejects ${name} with 400`, async () => {
        const response = await inject({ method: "POST", url: "/api/v1/auth/login", headers: { "content-type": "application/json" }, payload });
        assertError(response, 400, "validation_error");
      });
    }
  });

  describe("unknown routes", () => {
    for (const [method, url] of [
      ["GET", "/api/v1/nope"],
      ["POST", "/api/v1/nope"],
      ["GET", "/api/v2/auth/me"],
      ["DELETE", "/api/v1/auth/me"],
      ["PUT", "/api/v1/auth/sessions/abc"],
      ["GET", "/"],
    ] as const) {
      it(`answers ${method} ${url} with the 404 envelope`, async () => {
        const body = assertError(await inject({ method, url }), 404, "not_found");
        assert.equal(body.error.details, undefined);
      });
    }

    it("does not echo the query string in the 404 message", async () => {
      const body = assertError(await inject({ method: "GET", url: "/api/v1/nope?token=secret-value" }), 404, "not_found");
      assert.ok(!body.error.message.includes("secret-value"));
    });
  });
});

describe("logging", () => {
  it("respects AUSPEX_LOG_LEVEL: at warn, no request of any route writes an info line", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "auspex-log-test-"));
    const lines: string[] = [];
    const config = loadConfig({ AUSPEX_DATA_DIR: dataDir, AUSPEX_LOG_LEVEL: "warn", AUSPEX_ARGON2_MEMORY_KIB: "8192", AUSPEX_ARGON2_ITERATIONS: "1", AUSPEX_RATE_LIMIT: "false" });
    const logger = createLogger({ level: config.log.level, format: "json", destination: { write: (line: string) => void lines.push(line) } });
    const auspex = await createAuspex(config, { logger });
    try {
      await auspex.app.ready();
      for (const url of ["/health", "/api/health", "/metrics", "/openapi.json", "/docs", "/api/v1/auth/me", "/nowhere"]) {
        await auspex.app.inject({ method: "GET", url });
      }
      const infoLines = lines.map((line) => JSON.parse(line) as { level: string; route?: string }).filter((entry) => entry.level === "INFO" || entry.level === "DEBUG");
      assert.deepEqual(
        infoLines.map((entry) => entry.route),
        [],
        "routes that logged below the configured level",
      );
    } finally {
      await auspex.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("platform over a real listening server", () => {
  let t: TestApp;
  let base: string;

  before(async () => {
    t = await startTestApp({ AUSPEX_BODY_LIMIT_BYTES: "2048", AUSPEX_CORS_ORIGINS: "http://ui.example" });
    base = await t.listen();
  });
  after(() => t.close());

  it("serves health, metrics, the OpenAPI document and docs", async () => {
    const health = await fetch(`${base}/api/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as HealthReport).status, "limited");

    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /http_requests_total\{method="GET",route="\/api\/health",status="200"\} 1/);

    const openapi = await fetch(`${base}/openapi.json`);
    const doc = (await openapi.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths["/api/v1/auth/login"]);

    const docs = await fetch(`${base}/docs`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get("content-type") ?? "", /text\/html/);
  });

  it("echoes request ids, applies CORS and security headers", async () => {
    const response = await fetch(`${base}/health`, { headers: { "x-request-id": "wire-req-1", origin: "http://ui.example" } });
    assert.equal(response.headers.get("x-request-id"), "wire-req-1");
    assert.equal(response.headers.get("access-control-allow-origin"), "http://ui.example");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    const other = await fetch(`${base}/health`, { headers: { origin: "http://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("answers oversized, wrongly typed, malformed and unrouted requests with the envelope", async () => {
    const cases: Array<[RequestInit & { url: string }, number, string]> = [
      [{ url: "/api/v1/auth/login", method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "u".repeat(5000), password: "p" }) }, 413, "payload_too_large"],
      [{ url: "/api/v1/auth/login", method: "POST", headers: { "content-type": "application/xml" }, body: "<login/>" }, 415, "unsupported_media_type"],
      [{ url: "/api/v1/auth/login", method: "POST", headers: { "content-type": "application/json" }, body: "{oops" }, 400, "validation_error"],
      [{ url: "/api/v1/does-not-exist", method: "GET" }, 404, "not_found"],
    ];
    for (const [{ url, ...init }, status, code] of cases) {
      const response = await fetch(base + url, init);
      assert.equal(response.status, status, url);
      const body = (await response.json()) as ErrorEnvelope;
      assert.equal(body.error.code, code);
      assert.equal(body.error.requestId, response.headers.get("x-request-id"));
    }
  });
});
