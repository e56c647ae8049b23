/*
 * The whole app (real Fastify, real auth module) on a real PostgreSQL server:
 * accounts, sessions and API keys end to end, then /health while the database
 * server is stopped and after it comes back.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { InjectOptions } from "fastify";
import type { TokenResponse } from "@auspex/shared/contracts/auth.ts";
import { TEST_PASSWORD, startTestApp, type TestApp } from "#test/harness.ts";
import { startPostgres, type PostgresServer } from "./support/postgres.ts";

const JWT_SECRET = "e2e-postgres-jwt-secret-0123456789abcdef";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

let server: PostgresServer;
let t: TestApp;

before(async () => {
  server = await startPostgres();
  const url = await server.createDatabase("auspex_app_e2e");
  t = await startTestApp({ AUSPEX_DATABASE_URL: url, AUSPEX_JWT_SECRET: JWT_SECRET, AUSPEX_DATABASE_POOL_SIZE: "4" });
});

after(async () => {
  // The app first (it ends its pool), then the server; each even if the other failed.
  try {
    await t?.close();
  } finally {
    await server?.stop();
  }
});

const inject = (options: InjectOptions) => t.auspex.app.inject(options);

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

async function login(username: string, userAgent = FIREFOX, password = TEST_PASSWORD) {
  return inject({ method: "POST", url: "/api/v1/auth/login", headers: { "user-agent": userAgent }, payload: { username, password } });
}

async function loginOk(username: string, userAgent = FIREFOX): Promise<TokenResponse> {
  const response = await login(username, userAgent);
  assert.equal(response.statusCode, 200, response.body);
  return response.json<TokenResponse>();
}

async function me(headers: Record<string, string>) {
  return inject({ method: "GET", url: "/api/v1/auth/me", headers });
}

async function health() {
  const response = await inject({ method: "GET", url: "/health" });
  return { statusCode: response.statusCode, body: response.json() };
}

describe("Auspex on PostgreSQL", () => {
  it("runs on the PostgreSQL dialect and reports it healthy (limited: no LLM configured)", async () => {
    assert.equal(t.auspex.database.dialect, "postgres");
    const { statusCode, body } = await health();
    assert.equal(statusCode, 200);
    assert.equal(body.status, "limited");
    assert.deepEqual(body.services.database, { status: "connected", type: "PostgreSQL", error: null });
    assert.equal(body.services.ai_providers.configured, 0);
  });

  it("registers, logs in by username or email, and reads /me", async () => {
    const registered = await t.register("pg_ada", { userAgent: FIREFOX });
    assert.equal(registered.user.username, "pg_ada");
    assert.equal(registered.token_type, "Bearer");
    assert.match(registered.user.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const byName = await loginOk("pg_ada");
    const byEmail = await loginOk("PG_ADA@EXAMPLE.COM");
    for (const tokens of [registered, byName, byEmail]) {
      const response = await me(t.bearer(tokens.access_token));
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json().username, "pg_ada");
      assert.equal(response.json().email, "pg_ada@example.com");
      assert.equal(response.json().id, registered.user.id);
    }
    assert.equal((await login("pg_ada", FIREFOX, "wrong-password-123")).statusCode, 401);
    assert.equal((await login("pg_nobody")).statusCode, 401);
  });

  it("rejects a taken username or email with 409", async () => {
    await t.register("pg_taken");
    const sameName = await inject({
      method: "POST",
      url: "/api/v1/auth/register",
      payload: { username: "pg_taken", email: "someone-else@example.com", password: TEST_PASSWORD },
    });
    assert.equal(sameName.statusCode, 409, sameName.body);
    const sameEmail = await inject({
      method: "POST",
      url: "/api/v1/auth/register",
      payload: { username: "pg_taken2", email: "PG_TAKEN@example.com", password: TEST_PASSWORD },
    });
    assert.equal(sameEmail.statusCode, 409, sameEmail.body);
  });

  it("rotates refresh tokens, and a reused refresh token revokes the session", async () => {
    const first = await t.register("pg_rotate");
    const refresh = (token: string) => inject({ method: "POST", url: "/api/v1/auth/refresh", payload: { refresh_token: token } });

    const rotated = await refresh(first.refresh_token);
    assert.equal(rotated.statusCode, 200, rotated.body);
    const second = rotated.json<TokenResponse>();
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(second.session_id, first.session_id);
    assert.equal((await me(t.bearer(second.access_token))).statusCode, 200);

    const rotatedAgain = await refresh(second.refresh_token);
    assert.equal(rotatedAgain.statusCode, 200, rotatedAgain.body);
    const third = rotatedAgain.json<TokenResponse>();

    // The first token comes back: theft is assumed and the whole session ends.
    const reused = await refresh(first.refresh_token);
    assert.equal(reused.statusCode, 401, reused.body);
    assert.equal(reused.json().error.code, "unauthorized");
    assert.equal((await me(t.bearer(third.access_token))).statusCode, 401);
    assert.equal((await me(t.bearer(first.access_token))).statusCode, 401);
    assert.equal((await refresh(third.refresh_token)).statusCode, 401);
    assert.equal((await refresh("aur_not-a-real-token")).statusCode, 401);

    // Logging in again starts a fresh, working session.
    const fresh = await loginOk("pg_rotate");
    assert.notEqual(fresh.session_id, first.session_id);
    assert.equal((await me(t.bearer(fresh.access_token))).statusCode, 200);
  });

  it("lists and revokes sessions, only the user's own", async () => {
    const laptop = await t.register("pg_sessions", { userAgent: FIREFOX });
    const phone = await loginOk("pg_sessions", IPHONE);
    const tablet = await loginOk("pg_sessions", FIREFOX);
    const stranger = await t.register("pg_stranger");
    const asLaptop = t.bearer(laptop.access_token);

    const list = async () => {
      const response = await inject({ method: "GET", url: "/api/v1/auth/sessions", headers: asLaptop });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ sessions: { id: string; current: boolean; device_type: string }[] }>().sessions;
    };
    const listed = await list();
    assert.deepEqual(listed.map((s) => s.id).toSorted(), [laptop.session_id, phone.session_id, tablet.session_id].toSorted());
    assert.deepEqual(
      listed.filter((s) => s.current).map((s) => s.id),
      [laptop.session_id],
    );
    assert.equal(listed.find((s) => s.id === phone.session_id)?.device_type, "mobile");

    const revoke = (id: string, headers = asLaptop) => inject({ method: "DELETE", url: `/api/v1/auth/sessions/${id}`, headers });
    assert.equal((await revoke(phone.session_id)).statusCode, 204);
    assert.equal((await me(t.bearer(phone.access_token))).statusCode, 401);
    assert.equal((await revoke(phone.session_id)).statusCode, 404);
    assert.equal((await revoke(laptop.session_id)).statusCode, 409);
    assert.equal((await revoke(stranger.session_id)).statusCode, 404);
    assert.equal((await revoke(laptop.session_id, t.bearer(stranger.access_token))).statusCode, 404);
    assert.equal((await me(t.bearer(stranger.access_token))).statusCode, 200);
    assert.deepEqual((await list()).map((s) => s.id).toSorted(), [laptop.session_id, tablet.session_id].toSorted());

    const revokeAll = await inject({ method: "POST", url: "/api/v1/auth/sessions/revoke-all", headers: asLaptop });
    assert.equal(revokeAll.statusCode, 200, revokeAll.body);
    assert.deepEqual(revokeAll.json(), { revoked: 1 });
    assert.equal((await me(t.bearer(tablet.access_token))).statusCode, 401);
    assert.deepEqual(
      (await list()).map((s) => s.id),
      [laptop.session_id],
    );
    assert.equal((await me(t.bearer(stranger.access_token))).statusCode, 200);
  });

  it("creates an API key and accepts it as a bearer token and as the basic-auth password", async () => {
    const owner = await t.register("pg_keys");
    const other = await t.register("pg_keys_other");
    const created = await inject({
      method: "POST",
      url: "/api/v1/api-keys",
      headers: t.bearer(owner.access_token),
      payload: { name: "grafana", scopes: ["read"] },
    });
    assert.equal(created.statusCode, 201, created.body);
    const key = created.json<{ id: string; key: string; prefix: string; scopes: string[] }>();
    assert.ok(key.key.startsWith(key.prefix));
    assert.deepEqual(key.scopes, ["read"]);

    const viaBearer = await me(t.bearer(key.key));
    assert.equal(viaBearer.statusCode, 200, viaBearer.body);
    assert.equal(viaBearer.json().username, "pg_keys");
    const viaBasic = await me(basic("grafana", key.key));
    assert.equal(viaBasic.statusCode, 200, viaBasic.body);
    assert.equal(viaBasic.json().username, "pg_keys");
    assert.equal((await me(basic("grafana", "auk_wrong"))).statusCode, 401);

    // Managing keys needs a login session, not a key.
    assert.equal((await inject({ method: "GET", url: "/api/v1/api-keys", headers: t.bearer(key.key) })).statusCode, 403);

    const listed = await inject({ method: "GET", url: "/api/v1/api-keys", headers: t.bearer(owner.access_token) });
    assert.equal(listed.statusCode, 200, listed.body);
    const keys = listed.json<{ api_keys: { id: string; last_used_at: string | null }[] }>().api_keys;
    assert.deepEqual(
      keys.map((k) => k.id),
      [key.id],
    );
    assert.notEqual(keys[0]?.last_used_at, null);
    const othersList = await inject({ method: "GET", url: "/api/v1/api-keys", headers: t.bearer(other.access_token) });
    assert.deepEqual(othersList.json(), { api_keys: [] });

    assert.equal((await inject({ method: "DELETE", url: `/api/v1/api-keys/${key.id}`, headers: t.bearer(other.access_token) })).statusCode, 404);
    assert.equal((await me(t.bearer(key.key))).statusCode, 200);
    assert.equal((await inject({ method: "DELETE", url: `/api/v1/api-keys/${key.id}`, headers: t.bearer(owner.access_token) })).statusCode, 204);
    assert.equal((await me(t.bearer(key.key))).statusCode, 401);
    assert.equal((await me(basic("grafana", key.key))).statusCode, 401);
  });

  it("reports the database unreachable (503 degraded) while PostgreSQL is down, and recovers after", async () => {
    const tokens = await t.register("pg_outage");

    await server.stopServer();
    assert.equal(server.running, false);
    const down = await health();
    assert.equal(down.statusCode, 503);
    assert.equal(down.body.status, "degraded");
    assert.equal(down.body.services.database.status, "error");
    assert.equal(down.body.services.database.type, "PostgreSQL");
    assert.equal(typeof down.body.services.database.error, "string");
    const meWhileDown = await me(t.bearer(tokens.access_token));
    assert.ok(meWhileDown.statusCode >= 500, `expected a 5xx while the database is down, got ${meWhileDown.statusCode}`);

    await server.startServer();
    const up = await health();
    assert.equal(up.statusCode, 200, JSON.stringify(up.body));
    assert.equal(up.body.status, "limited");
    assert.deepEqual(up.body.services.database, { status: "connected", type: "PostgreSQL", error: null });
    // Data survived the restart and requests work again.
    const meAfter = await me(t.bearer(tokens.access_token));
    assert.equal(meAfter.statusCode, 200, meAfter.body);
    assert.equal(meAfter.json().username, "pg_outage");
  });
});
