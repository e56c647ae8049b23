import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LightMyRequestResponse } from "fastify";
import type { CreatedApiKey, TokenResponse } from "@auspex/shared/contracts/auth.ts";
import type { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import { TEST_PASSWORD, manualClock, startTestApp, type TestApp } from "#test/harness.ts";

/*
 * Rate limits: 5 a minute per IP and per username on each auth endpoint, 100 a
 * minute per user on the rest of the API (lowered here through the settings).
 * Every test gets its own app, so buckets never leak between tests.
 */

const RATE_LIMITED = { AUSPEX_RATE_LIMIT: "true" };

async function withApp(env: Record<string, string>, run: (t: TestApp) => Promise<void>, options: Parameters<typeof startTestApp>[1] = {}): Promise<void> {
  const t = await startTestApp(env, options);
  try {
    await run(t);
  } finally {
    await t.close();
  }
}

function assertRateLimited(response: LightMyRequestResponse | { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  assert.equal(response.statusCode, 429, `expected 429, got ${response.statusCode}: ${response.body}`);
  const retryAfter = Number(response.headers["retry-after"]);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After is whole seconds within the minute: ${String(response.headers["retry-after"])}`);
  const body = JSON.parse(response.body) as ErrorEnvelope;
  assert.equal(body.error.code, "rate_limited");
  assert.equal(typeof body.error.message, "string");
  assert.equal(body.error.requestId, response.headers["x-request-id"]);
}

function login(t: TestApp, username: string, options: { ip?: string; password?: string } = {}) {
  return t.auspex.app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    ...(options.ip === undefined ? {} : { remoteAddress: options.ip }),
    payload: { username, password: options.password ?? "wrong-password-123" },
  });
}

describe("auth endpoint rate limits", () => {
  it("answers the 6th login in a minute with 429, Retry-After and the rate_limited envelope", async () => {
    await withApp(RATE_LIMITED, async (t) => {
      await t.register("rl_basic", { ip: "192.0.2.200" });
      for (let attempt = 1; attempt <= 5; attempt++) {
        const response = await login(t, "rl_basic", { ip: "192.0.2.1" });
        assert.equal(response.statusCode, 401, `attempt ${attempt} is judged on its merits`);
      }
      const sixth = await login(t, "rl_basic", { ip: "192.0.2.1", password: TEST_PASSWORD });
      assertRateLimited(sixth);
      // Even the right password waits: the limit is checked before the password.
      assert.equal(sixth.json<ErrorEnvelope>().error.code, "rate_limited");
    });
  });

  it("lets five logins through, successful ones included", async () => {
    await withApp(RATE_LIMITED, async (t) => {
      await t.register("rl_five", { ip: "192.0.2.200" });
      for (let attempt = 1; attempt <= 5; attempt++) {
        const response = await login(t, "rl_five", { ip: "192.0.2.2", password: TEST_PASSWORD });
        assert.equal(response.statusCode, 200, `attempt ${attempt}: ${response.body}`);
      }
      assertRateLimited(await login(t, "rl_five", { ip: "192.0.2.2", password: TEST_PASSWORD }));
    });
  });

  it("limits per username across IPs: a 6th attempt on one account from a fresh IP gets 429", async () => {
    await withApp(RATE_LIMITED, async (t) => {
      await t.register("rl_victim", { ip: "192.0.2.200" });
      for (let i = 1; i <= 5; i++) {
        assert.equal((await login(t, "rl_victim", { ip: `198.51.100.${i}` })).statusCode, 401);
      }
      assertRateLimited(await login(t, "rl_victim", { ip: "198.51.100.99" }));
      assertRateLimited(await login(t, "RL_VICTIM", { ip: "198.51.100.98" }));
      // Another account from the same fresh IP is not affected.
      assert.equal((await login(t, "rl_someone_else", { ip: "198.51.100.99" })).statusCode, 401);
    });
  });

  it("limits per IP across usernames: a 6th attempt from one IP on a new account gets 429", async () => {
    await withApp(RATE_LIMITED, async (t) => {
      for (let i = 1; i <= 5; i++) {
        assert.equal((await login(t, `rl_spray_${i}`, { ip: "203.0.113.66" })).statusCode, 401);
      }
      assertRateLimited(await login(t, "rl_spray_6", { ip: "203.0.113.66" }));
      // The same account from another IP is fine.
      assert.equal((await login(t, "rl_spray_6", { ip: "203.0.113.67" })).statusCode, 401);
    });
  });

  it("limits registration per IP", async () => {
    await withApp(RATE_LIMITED, async (t) => {
      for (let i = 1; i <= 5; i++) await t.register(`rl_reg_${i}`, { ip: "203.0.113.80" });
      const sixth = await t.auspex.app.inject({
        method: "POST",
        url: "/api/v1/auth/register",
        remoteAddress: "203.0.113.80",
        payload: { username: "rl_reg_6", email: "rl_reg_6@example.com", password: TEST_PASSWORD },
      });
      assertRateLimited(sixth);
      await t.register("rl_reg_6", { ip: "203.0.113.81" });
    });
  });

  it("limits refresh per IP", async () => {
    await withApp(RATE_LIMITED, async (t) => {
      let tokens = await t.register("rl_refresh", { ip: "203.0.113.90" });
      for (let i = 1; i <= 5; i++) {
        const response = await t.auspex.app.inject({
          method: "POST",
          url: "/api/v1/auth/refresh",
          remoteAddress: "203.0.113.91",
          payload: { refresh_token: tokens.refresh_token },
        });
        assert.equal(response.statusCode, 200, response.body);
        tokens = response.json<TokenResponse>();
      }
      const sixth = await t.auspex.app.inject({
        method: "POST",
        url: "/api/v1/auth/refresh",
        remoteAddress: "203.0.113.91",
        payload: { refresh_token: tokens.refresh_token },
      });
      assertRateLimited(sixth);
    });
  });

  it("refills after the minute, counting Retry-After down (manual clock)", async () => {
    const clock = manualClock();
    await withApp(
      RATE_LIMITED,
      async (t) => {
        await t.register("rl_window", { ip: "192.0.2.201" });
        for (let i = 0; i < 5; i++) await login(t, "rl_window", { ip: "192.0.2.3" });
        const limited = await login(t, "rl_window", { ip: "192.0.2.3", password: TEST_PASSWORD });
        assertRateLimited(limited);
        assert.equal(limited.headers["retry-after"], "60");

        clock.advance(45);
        const later = await login(t, "rl_window", { ip: "192.0.2.3", password: TEST_PASSWORD });
        assertRateLimited(later);
        assert.equal(later.headers["retry-after"], "15");

        clock.advance(15);
        const refilled = await login(t, "rl_window", { ip: "192.0.2.3", password: TEST_PASSWORD });
        assert.equal(refilled.statusCode, 200, `a new minute, a new budget: ${refilled.body}`);
      },
      { clock },
    );
  });

  it("counts rate-limited auth attempts in auspex_auth_failures_total{reason=\"rate_limited\"}", async () => {
    await withApp(RATE_LIMITED, async (t) => {
      for (let i = 0; i < 7; i++) await login(t, "rl_metrics", { ip: "192.0.2.77" });
      const metrics = (await t.auspex.app.inject({ method: "GET", url: "/metrics" })).body;
      assert.match(metrics, /^auspex_auth_failures_total\{reason="rate_limited"\} 2$/m);
      assert.match(metrics, /^http_requests_total\{method="POST",route="\/api\/v1\/auth\/login",status="429"\} 2$/m);
    });
  });
});

describe("API rate limit per user", () => {
  const API_LIMIT_3 = { ...RATE_LIMITED, AUSPEX_RATE_LIMIT_API_PER_MINUTE: "3" };
  const get = (t: TestApp, url: string, token: string, ip?: string) =>
    t.auspex.app.inject({ method: "GET", url, headers: t.bearer(token), ...(ip === undefined ? {} : { remoteAddress: ip }) });

  it("answers the request after the limit with 429 and Retry-After", async () => {
    await withApp(API_LIMIT_3, async (t) => {
      const tokens = await t.register("rl_api", { ip: "192.0.2.10" });
      for (let i = 1; i <= 3; i++) assert.equal((await get(t, "/api/v1/auth/me", tokens.access_token)).statusCode, 200, `request ${i}`);
      assertRateLimited(await get(t, "/api/v1/auth/me", tokens.access_token));
    });
  });

  it("refills the API budget after the minute (manual clock)", async () => {
    const clock = manualClock();
    await withApp(
      API_LIMIT_3,
      async (t) => {
        const tokens = await t.register("rl_api_window", { ip: "192.0.2.14" });
        for (let i = 0; i < 3; i++) assert.equal((await get(t, "/api/v1/auth/me", tokens.access_token)).statusCode, 200);
        assertRateLimited(await get(t, "/api/v1/auth/me", tokens.access_token));
        clock.advance(60);
        assert.equal((await get(t, "/api/v1/auth/me", tokens.access_token)).statusCode, 200);
      },
      { clock },
    );
  });

  it("shares one bucket across routes, sessions, IPs and API keys of the same user, and not with other users", async () => {
    await withApp(API_LIMIT_3, async (t) => {
      const alice = await t.register("rl_api_alice", { ip: "192.0.2.11" });
      const bob = await t.register("rl_api_bob", { ip: "192.0.2.12" });
      const aliceAgain = await t.auspex.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        remoteAddress: "192.0.2.13",
        payload: { username: "rl_api_alice", password: TEST_PASSWORD },
      });
      assert.equal(aliceAgain.statusCode, 200);
      const secondSession = aliceAgain.json<TokenResponse>();

      const keyResponse = await t.auspex.app.inject({
        method: "POST",
        url: "/api/v1/api-keys",
        headers: t.bearer(alice.access_token),
        payload: { name: "rl", scopes: ["read"] },
      });
      assert.equal(keyResponse.statusCode, 201, "request 1");
      const key = keyResponse.json<CreatedApiKey>().key;

      assert.equal((await get(t, "/api/v1/auth/sessions", alice.access_token)).statusCode, 200, "request 2");
      assert.equal((await get(t, "/api/v1/auth/me", key, "198.51.100.40")).statusCode, 200, "request 3 (API key, other IP)");
      assertRateLimited(await get(t, "/api/v1/auth/me", secondSession.access_token, "198.51.100.41"));
      assertRateLimited(await get(t, "/api/v1/api-keys", alice.access_token));
      assertRateLimited(await get(t, "/api/v1/auth/me", key));

      for (let i = 1; i <= 3; i++) assert.equal((await get(t, "/api/v1/auth/me", bob.access_token)).statusCode, 200, `bob's request ${i}`);
    });
  });

  it("does not limit health checks or metrics scrapes", async () => {
    await withApp(API_LIMIT_3, async (t) => {
      for (let i = 0; i < 10; i++) {
        assert.equal((await t.auspex.app.inject({ method: "GET", url: "/health" })).statusCode, 200);
        assert.equal((await t.auspex.app.inject({ method: "GET", url: "/metrics" })).statusCode, 200);
      }
    });
  });
});

describe("AUSPEX_RATE_LIMIT=false", () => {
  it("turns every limit off", async () => {
    await withApp({ AUSPEX_RATE_LIMIT: "false", AUSPEX_RATE_LIMIT_AUTH_PER_MINUTE: "1", AUSPEX_RATE_LIMIT_API_PER_MINUTE: "1" }, async (t) => {
      const tokens = await t.register("rl_off");
      for (let i = 0; i < 10; i++) {
        assert.equal((await login(t, "rl_off", { ip: "192.0.2.50" })).statusCode, 401, `login ${i + 1}`);
        const me = await t.auspex.app.inject({ method: "GET", url: "/api/v1/auth/me", headers: t.bearer(tokens.access_token) });
        assert.equal(me.statusCode, 200, `api ${i + 1}`);
        assert.equal(me.headers["retry-after"], undefined);
      }
      for (let i = 0; i < 10; i++) await t.register(`rl_off_${i}`, { ip: "192.0.2.51" });
    });
  });
});

describe("rate limits over a real listening server", () => {
  it("sends 429 with Retry-After on the 6th login and exposes Retry-After to allowed browser origins", async () => {
    await withApp({ ...RATE_LIMITED, AUSPEX_CORS_ORIGINS: "http://ui.example" }, async (t) => {
      const base = await t.listen();
      const attempt = () =>
        fetch(`${base}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json", origin: "http://ui.example" },
          body: JSON.stringify({ username: "wire_rl", password: "wrong-password-123" }),
        });
      for (let i = 1; i <= 5; i++) assert.equal((await attempt()).status, 401);
      const sixth = await attempt();
      const headers = Object.fromEntries(sixth.headers.entries());
      assertRateLimited({ statusCode: sixth.status, headers, body: await sixth.text() });
      assert.equal(headers["access-control-allow-origin"], "http://ui.example");
      assert.match(headers["access-control-expose-headers"] ?? "", /retry-after/i);
    });
  });
});
