import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import type { CreatedApiKey, Session, TokenResponse } from "@auspex/shared/contracts/auth.ts";
import type { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import { TEST_PASSWORD, manualClock, startListeningTestApp, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/* Login sessions: listing, device and IP recording, revocation, expiry. */

const CHROME_ON_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36";
const SAFARI_ON_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const SAFARI_ON_IPAD =
  "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1";
const FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0";
const CURL = "curl/8.5.0";


interface Harness {
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  login(username: string, options?: { userAgent?: string; ip?: string; headers?: Record<string, string> }): Promise<TokenResponse>;
  list(token: string): Promise<Session[]>;
  me(token: string): Promise<LightMyRequestResponse>;
  revoke(token: string, sessionId: string): Promise<LightMyRequestResponse>;
  revokeAll(token: string): Promise<LightMyRequestResponse>;
}

function harness(getApp: () => TestApp): Harness {
  const inject = (options: InjectOptions) => getApp().auspex.app.inject(options);
  return {
    inject,
    async login(username, options = {}) {
      const response = await inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { ...(options.userAgent === undefined ? {} : { "user-agent": options.userAgent }), ...options.headers },
        ...(options.ip === undefined ? {} : { remoteAddress: options.ip }),
        payload: { username, password: TEST_PASSWORD },
      });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<TokenResponse>();
    },
    async list(token) {
      const response = await inject({ method: "GET", url: "/api/v1/auth/sessions", headers: { authorization: `Bearer ${token}` } });
      assert.equal(response.statusCode, 200, response.body);
      return response.json<{ sessions: Session[] }>().sessions;
    },
    me: (token) => inject({ method: "GET", url: "/api/v1/auth/me", headers: { authorization: `Bearer ${token}` } }),
    revoke: (token, sessionId) =>
      inject({ method: "DELETE", url: `/api/v1/auth/sessions/${encodeURIComponent(sessionId)}`, headers: { authorization: `Bearer ${token}` } }),
    revokeAll: (token) => inject({ method: "POST", url: "/api/v1/auth/sessions/revoke-all", headers: { authorization: `Bearer ${token}` } }),
  };
}

describe("sessions routes", () => {
  let app: TestApp;
  const h = harness(() => app);

  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  describe("GET /api/v1/auth/sessions", () => {
    it("lists the user's sessions with device, browser, OS and IP, marking the current one", async () => {
      const chrome = await app.register("sess_list", { userAgent: CHROME_ON_WINDOWS, ip: "203.0.113.10" });
      const iphone = await h.login("sess_list", { userAgent: SAFARI_ON_IPHONE, ip: "198.51.100.20" });

      const sessions = await h.list(iphone.access_token);
      assert.equal(sessions.length, 2);
      const byId = new Map(sessions.map((s) => [s.id, s]));
      const desktop = byId.get(chrome.session_id);
      const mobile = byId.get(iphone.session_id);
      assert.ok(desktop && mobile, JSON.stringify(sessions));

      assert.equal(desktop.device_type, "desktop");
      assert.equal(desktop.browser, "Chrome");
      assert.equal(desktop.browser_version, "124.0.6367.91");
      assert.equal(desktop.os, "Windows 10");
      assert.equal(desktop.ip, "203.0.113.10");
      assert.equal(desktop.current, false);

      assert.equal(mobile.device_type, "mobile");
      assert.equal(mobile.browser, "Mobile Safari");
      assert.equal(mobile.browser_version, "17.4");
      assert.match(mobile.os ?? "", /^iOS 17\.4/);
      assert.equal(mobile.ip, "198.51.100.20");
      assert.equal(mobile.current, true);

      for (const session of sessions) {
        assert.deepEqual(Object.keys(session).sort(), [
          "browser",
          "browser_version",
          "created_at",
          "current",
          "device_type",
          "expires_at",
          "id",
          "ip",
          "last_active_at",
          "os",
        ]);
        for (const field of ["created_at", "last_active_at", "expires_at"] as const) {
          assert.ok(!Number.isNaN(Date.parse(session[field])), `${field} is a timestamp: ${session[field]}`);
        }
        assert.ok(!("user_agent" in session) && !("user_id" in session) && !("refresh_token" in session));
      }

      // From the other session, the other one is current.
      const fromChrome = await h.list(chrome.access_token);
      assert.deepEqual(fromChrome.filter((s) => s.current).map((s) => s.id), [chrome.session_id]);
    });

    it("describes tablets, other desktops, command-line clients and missing user agents", async () => {
      await app.register("sess_devices", { userAgent: SAFARI_ON_IPAD });
      const firefox = await h.login("sess_devices", { userAgent: FIREFOX_ON_LINUX });
      const curl = await h.login("sess_devices", { userAgent: CURL });
      const anonymous = await h.login("sess_devices");
      const sessions = await h.list(firefox.access_token);
      const byId = new Map(sessions.map((s) => [s.id, s]));

      const tablet = sessions.find((s) => s.device_type === "tablet");
      assert.ok(tablet, JSON.stringify(sessions));
      assert.equal(tablet.browser, "Mobile Safari");
      assert.match(tablet.os ?? "", /^iOS 16\.6/);

      assert.deepEqual(
        { ...byId.get(firefox.session_id), id: undefined, created_at: undefined, last_active_at: undefined, expires_at: undefined, ip: undefined },
        { id: undefined, created_at: undefined, last_active_at: undefined, expires_at: undefined, ip: undefined, device_type: "desktop", browser: "Firefox", browser_version: "125.0", os: "Linux", current: true },
      );
      assert.equal(byId.get(curl.session_id)?.device_type, "bot");
      const none = byId.get(anonymous.session_id);
      assert.equal(none?.device_type, "unknown");
      assert.equal(none?.browser, null);
      assert.equal(none?.os, null);
    });

    it("only lists the caller's own sessions", async () => {
      const a = await app.register("sess_own_a");
      const b = await app.register("sess_own_b");
      await h.login("sess_own_b");
      assert.deepEqual((await h.list(a.access_token)).map((s) => s.id), [a.session_id]);
      assert.equal((await h.list(b.access_token)).length, 2);
    });

    it("needs credentials", async () => {
      assertError(await h.inject({ method: "GET", url: "/api/v1/auth/sessions" }), 401, "unauthorized");
    });
  });

  describe("DELETE /api/v1/auth/sessions/:id", () => {
    it("revokes another session; its access and refresh tokens stop working at once", async () => {
      const laptop = await app.register("sess_del", { userAgent: CHROME_ON_WINDOWS });
      const phone = await h.login("sess_del", { userAgent: SAFARI_ON_IPHONE });
      assert.equal((await h.me(phone.access_token)).statusCode, 200);

      const response = await h.revoke(laptop.access_token, phone.session_id);
      assert.equal(response.statusCode, 204, response.body);
      assert.equal(response.body, "");

      const body = assertError(await h.me(phone.access_token), 401, "unauthorized");
      assert.match(body.error.message, /session/i);
      assertError(await h.inject({ method: "POST", url: "/api/v1/auth/refresh", payload: { refresh_token: phone.refresh_token } }), 401, "unauthorized");
      assert.deepEqual((await h.list(laptop.access_token)).map((s) => s.id), [laptop.session_id]);
      assert.equal((await h.me(laptop.access_token)).statusCode, 200);
    });

    it("refuses to revoke the current session with 409 (use logout)", async () => {
      const tokens = await app.register("sess_del_cur");
      const body = assertError(await h.revoke(tokens.access_token, tokens.session_id), 409, "conflict");
      assert.match(body.error.message, /logout/);
      assert.equal((await h.me(tokens.access_token)).statusCode, 200, "the session survives");
    });

    it("answers an unknown or already revoked session with 404", async () => {
      const tokens = await app.register("sess_del_404");
      const other = await h.login("sess_del_404");
      assertError(await h.revoke(tokens.access_token, "01900000-0000-7000-8000-000000000000"), 404, "not_found");
      assert.equal((await h.revoke(tokens.access_token, other.session_id)).statusCode, 204);
      assertError(await h.revoke(tokens.access_token, other.session_id), 404, "not_found");
    });

    it("answers another user's session with 404 and leaves it alone", async () => {
      const a = await app.register("sess_del_iso_a");
      const b = await app.register("sess_del_iso_b");
      assertError(await h.revoke(b.access_token, a.session_id), 404, "not_found");
      assert.equal((await h.me(a.access_token)).statusCode, 200);
    });

    it("rejects an oversized id with 400 naming params.id", async () => {
      const tokens = await app.register("sess_del_400");
      assertError(await h.revoke(tokens.access_token, "x".repeat(65)), 400, "validation_error", "params.id");
    });

    it("needs credentials", async () => {
      const tokens = await app.register("sess_del_401");
      assertError(await h.inject({ method: "DELETE", url: `/api/v1/auth/sessions/${tokens.session_id}` }), 401, "unauthorized");
    });
  });

  describe("POST /api/v1/auth/sessions/revoke-all", () => {
    it("revokes every other session and keeps the current one", async () => {
      const current = await app.register("sess_all");
      const others = [await h.login("sess_all"), await h.login("sess_all"), await h.login("sess_all")];
      const response = await h.revokeAll(current.access_token);
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { revoked: 3 });

      for (const other of others) assertError(await h.me(other.access_token), 401, "unauthorized");
      assert.equal((await h.me(current.access_token)).statusCode, 200);
      assert.deepEqual((await h.list(current.access_token)).map((s) => s.id), [current.session_id]);

      assert.deepEqual((await h.revokeAll(current.access_token)).json(), { revoked: 0 }, "nothing left to revoke");
    });

    it("does not touch other users' sessions", async () => {
      const a = await app.register("sess_all_iso_a");
      const b = await app.register("sess_all_iso_b");
      const b2 = await h.login("sess_all_iso_b");
      assert.deepEqual((await h.revokeAll(a.access_token)).json(), { revoked: 0 });
      assert.equal((await h.me(b.access_token)).statusCode, 200);
      assert.equal((await h.me(b2.access_token)).statusCode, 200);
    });

    it("needs credentials", async () => {
      assertError(await h.inject({ method: "POST", url: "/api/v1/auth/sessions/revoke-all" }), 401, "unauthorized");
    });
  });

  describe("with an API key instead of a login session", () => {
    let tokens: TokenResponse;
    let adminKey: string;
    before(async () => {
      tokens = await app.register("sess_apikey");
      const created = await h.inject({
        method: "POST",
        url: "/api/v1/api-keys",
        headers: app.bearer(tokens.access_token),
        payload: { name: "admin", scopes: ["admin"] },
      });
      assert.equal(created.statusCode, 201, created.body);
      adminKey = created.json<CreatedApiKey>().key;
    });

    it("cannot list, revoke or revoke-all sessions (403)", async () => {
      const other = await h.login("sess_apikey");
      assertError(await h.inject({ method: "GET", url: "/api/v1/auth/sessions", headers: app.bearer(adminKey) }), 403, "forbidden");
      assertError(await h.revoke(adminKey, other.session_id), 403, "forbidden");
      assertError(await h.revokeAll(adminKey), 403, "forbidden");
      assertError(await h.inject({ method: "POST", url: "/api/v1/auth/logout", headers: app.bearer(adminKey) }), 403, "forbidden");
      assert.equal((await h.me(other.access_token)).statusCode, 200, "nothing was revoked");
      assert.equal((await h.list(tokens.access_token)).length, 2);
    });
  });
});

describe("session client IP", () => {
  const cases: Array<{ trustProxy: string | undefined; remote: string; forwardedFor: string; expected: string; why: string }> = [
    { trustProxy: undefined, remote: "203.0.113.5", forwardedFor: "198.51.100.9", expected: "203.0.113.5", why: "X-Forwarded-For is ignored by default" },
    { trustProxy: "false", remote: "203.0.113.5", forwardedFor: "198.51.100.9", expected: "203.0.113.5", why: "X-Forwarded-For is ignored when trust is off" },
    { trustProxy: "true", remote: "10.0.0.1", forwardedFor: "198.51.100.9", expected: "198.51.100.9", why: "the forwarded client with AUSPEX_TRUST_PROXY=true" },
    { trustProxy: "true", remote: "10.0.0.1", forwardedFor: "198.51.100.9, 10.0.0.7", expected: "198.51.100.9", why: "the first forwarded address when every hop is trusted" },
    { trustProxy: "1", remote: "10.0.0.1", forwardedFor: "198.51.100.9, 192.0.2.44", expected: "192.0.2.44", why: "one trusted hop: the address the proxy saw" },
    { trustProxy: "10.0.0.1", remote: "10.0.0.1", forwardedFor: "198.51.100.9", expected: "198.51.100.9", why: "a request from a listed proxy" },
    { trustProxy: "10.0.0.1", remote: "10.0.0.2", forwardedFor: "198.51.100.9", expected: "10.0.0.2", why: "a request from an unlisted address" },
  ];

  for (const { trustProxy, remote, forwardedFor, expected, why } of cases) {
    it(`records ${expected} (AUSPEX_TRUST_PROXY=${trustProxy ?? "unset"}, peer ${remote}, X-Forwarded-For ${forwardedFor}): ${why}`, async () => {
      const t = await startTestApp(trustProxy === undefined ? {} : { AUSPEX_TRUST_PROXY: trustProxy });
      try {
        const h = harness(() => t);
        await t.register("ip_user");
        const tokens = await h.login("ip_user", { ip: remote, headers: { "x-forwarded-for": forwardedFor } });
        const session = (await h.list(tokens.access_token)).find((s) => s.id === tokens.session_id);
        assert.equal(session?.ip, expected);
      } finally {
        await t.close();
      }
    });
  }
});

describe("sessions with a manual clock", () => {
  const clock = manualClock();
  let app: TestApp;
  const h = harness(() => app);

  before(async () => {
    app = await startTestApp({}, { clock });
  });
  after(() => app.close());

  it("records created_at and last_active_at from the clock", async () => {
    const start = clock.now().toISOString();
    const tokens = await app.register("clock_times");
    const [session] = await h.list(tokens.access_token);
    assert.equal(session?.created_at, start);
    assert.equal(session?.last_active_at, start);
    assert.equal(session?.expires_at, new Date(clock.now().getTime() + 7 * 86_400_000).toISOString(), "an idle session lasts 7 days by default");
  });

  it("moves last_active_at when the session is used, but not created_at", async () => {
    const tokens = await app.register("clock_active");
    const other = await h.login("clock_active");
    const createdAt = clock.now().toISOString();
    clock.advance(120);
    const usedAt = clock.now().toISOString();
    assert.equal((await h.me(tokens.access_token)).statusCode, 200);

    const sessions = await h.list(other.access_token);
    const used = sessions.find((s) => s.id === tokens.session_id);
    const idle = sessions.find((s) => s.id === other.session_id);
    assert.equal(used?.created_at, createdAt);
    assert.equal(used?.last_active_at, usedAt);
    assert.equal(idle?.last_active_at, usedAt, "listing is activity too");
    assert.equal(sessions[0]?.last_active_at, usedAt, "most recently active first");
  });

  it("moves last_active_at on refresh", async () => {
    const tokens = await app.register("clock_refresh");
    clock.advance(600);
    const refreshedAt = clock.now().toISOString();
    const response = await h.inject({ method: "POST", url: "/api/v1/auth/refresh", payload: { refresh_token: tokens.refresh_token } });
    assert.equal(response.statusCode, 200, response.body);
    const other = await h.login("clock_refresh");
    const session = (await h.list(other.access_token)).find((s) => s.id === tokens.session_id);
    assert.equal(session?.last_active_at, refreshedAt);
  });

  it("rejects an access token 15 minutes after it was issued, with 401", async () => {
    const tokens = await app.register("clock_expiry");
    clock.advance(15 * 60 - 1);
    assert.equal((await h.me(tokens.access_token)).statusCode, 200, "still valid just before 15 minutes");
    clock.advance(2);
    const body = assertError(await h.me(tokens.access_token), 401, "unauthorized");
    assert.match(body.error.message, /expired/i);
    assertError(await h.inject({ method: "GET", url: "/api/v1/auth/sessions", headers: app.bearer(tokens.access_token) }), 401, "unauthorized");

    const refreshed = await h.inject({ method: "POST", url: "/api/v1/auth/refresh", payload: { refresh_token: tokens.refresh_token } });
    assert.equal(refreshed.statusCode, 200, "the session itself is still alive");
    assert.equal((await h.me(refreshed.json<TokenResponse>().access_token)).statusCode, 200);
  });

  it("rejects an unexpired access token of a revoked session at once", async () => {
    const keeper = await app.register("clock_revoked");
    const victim = await h.login("clock_revoked");
    assert.equal((await h.me(victim.access_token)).statusCode, 200);
    assert.equal((await h.revoke(keeper.access_token, victim.session_id)).statusCode, 204);
    // No time passes: the JWT is still within its 15 minutes.
    const body = assertError(await h.me(victim.access_token), 401, "unauthorized");
    assert.doesNotMatch(body.error.message, /expired/i);
  });

  it("stops listing and accepting sessions that have expired", async () => {
    const old = await app.register("clock_gone");
    clock.advance(7 * 86_400 + 1);
    const fresh = await h.login("clock_gone");
    assert.deepEqual((await h.list(fresh.access_token)).map((s) => s.id), [fresh.session_id]);
    assertError(await h.inject({ method: "POST", url: "/api/v1/auth/refresh", payload: { refresh_token: old.refresh_token } }), 401, "unauthorized");
  });
});

describe("sessions over a real listening server", () => {
  let t: TestApp;
  let base: string;

  before(async () => ({ t, base } = await startListeningTestApp()));
  after(() => t.close());

  const login = async (userAgent: string): Promise<TokenResponse> => {
    const response = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": userAgent },
      body: JSON.stringify({ username: "wire_sessions", password: TEST_PASSWORD }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as TokenResponse;
  };

  it("records the peer address and user agent, revokes another session and revoke-all", async () => {
    await t.register("wire_sessions");
    const desktop = await login(CHROME_ON_WINDOWS);
    const phone = await login(SAFARI_ON_IPHONE);

    const listed = await fetch(`${base}/api/v1/auth/sessions`, { headers: { authorization: `Bearer ${desktop.access_token}` } });
    assert.equal(listed.status, 200);
    const sessions = ((await listed.json()) as { sessions: Session[] }).sessions;
    const mine = sessions.find((s) => s.id === desktop.session_id);
    assert.equal(mine?.current, true);
    assert.equal(mine?.ip, "127.0.0.1");
    assert.equal(mine?.browser, "Chrome");
    assert.equal(sessions.find((s) => s.id === phone.session_id)?.device_type, "mobile");

    const revoked = await fetch(`${base}/api/v1/auth/sessions/${phone.session_id}`, { method: "DELETE", headers: { authorization: `Bearer ${desktop.access_token}` } });
    assert.equal(revoked.status, 204);
    const phoneMe = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${phone.access_token}` } });
    assert.equal(phoneMe.status, 401);
    assert.equal(((await phoneMe.json()) as ErrorEnvelope).error.code, "unauthorized");

    const current = await fetch(`${base}/api/v1/auth/sessions/${desktop.session_id}`, { method: "DELETE", headers: { authorization: `Bearer ${desktop.access_token}` } });
    assert.equal(current.status, 409);

    const all = await fetch(`${base}/api/v1/auth/sessions/revoke-all`, { method: "POST", headers: { authorization: `Bearer ${desktop.access_token}` } });
    assert.equal(all.status, 200);
    assert.deepEqual(await all.json(), { revoked: 1 }, "the registration session");
  });
});
