import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { InjectOptions } from "fastify";
import type { Session, TokenResponse, User } from "@auspex/shared/contracts/auth.ts";
import type { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import { TEST_PASSWORD, manualClock, startListeningTestApp, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/*
 * The account endpoints: register, login, refresh, logout, me, password.
 * Every 4xx must be the one error envelope, and 400s must name the field.
 */

const NEW_PASSWORD = "marmalade-heron-77";
const GENERIC_LOGIN_FAILURE = "Invalid username or password";


function without<T extends Record<string, unknown>>(object: T, key: keyof T): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object };
  delete copy[key as string];
  return copy;
}

describe("auth routes", () => {
  let t: TestApp;
  const inject = (options: InjectOptions) => t.auspex.app.inject(options);
  const me = (token: string) => inject({ method: "GET", url: "/api/v1/auth/me", headers: t.bearer(token) });
  const login = (username: string, password = TEST_PASSWORD, headers: Record<string, string> = {}) =>
    inject({ method: "POST", url: "/api/v1/auth/login", headers, payload: { username, password } });
  const refresh = (refreshToken: string) => inject({ method: "POST", url: "/api/v1/auth/refresh", payload: { refresh_token: refreshToken } });
  const sessionsOf = async (token: string): Promise<Session[]> => {
    const response = await inject({ method: "GET", url: "/api/v1/auth/sessions", headers: t.bearer(token) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ sessions: Session[] }>().sessions;
  };

  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  describe("POST /api/v1/auth/register", () => {
    it("creates the account and logs the new user in", async () => {
      const response = await inject({
        method: "POST",
        url: "/api/v1/auth/register",
        payload: { username: "reg_ok", email: "reg_ok@example.com", password: TEST_PASSWORD },
      });
      assert.equal(response.statusCode, 201, response.body);
      const tokens = response.json<TokenResponse>();
      assert.equal(tokens.token_type, "Bearer");
      assert.equal(tokens.expires_in, 15 * 60, "access tokens live 15 minutes by default");
      assert.equal(tokens.user.username, "reg_ok");
      assert.equal(tokens.user.email, "reg_ok@example.com");
      assert.equal(tokens.user.display_name, null);
      assert.equal(tokens.user.time_zone, "UTC");
      assert.ok(!Number.isNaN(Date.parse(tokens.user.created_at)));
      assert.equal(typeof tokens.session_id, "string");
      assert.equal(tokens.access_token.split(".").length, 3, "the access token is a JWT");
      assert.notEqual(tokens.refresh_token.split(".").length, 3, "the refresh token is opaque, not a JWT");
      assert.ok(tokens.refresh_token.length >= 32);
      assert.ok(!("password" in tokens.user) && !("password_hash" in tokens.user), "no password material in the response");

      const meResponse = await me(tokens.access_token);
      assert.equal(meResponse.statusCode, 200);
      assert.equal(meResponse.json<User>().id, tokens.user.id);
      const sessions = await sessionsOf(tokens.access_token);
      assert.deepEqual(
        sessions.map((s) => [s.id, s.current]),
        [[tokens.session_id, true]],
        "registering opened exactly one session, the current one",
      );
    });

    it("accepts an optional display name and time zone, and lower-cases the email", async () => {
      const response = await inject({
        method: "POST",
        url: "/api/v1/auth/register",
        payload: { username: "reg_opts", email: "Reg.Opts@Example.COM", password: TEST_PASSWORD, display_name: "  Reg Opts  ", time_zone: "Europe/Berlin" },
      });
      assert.equal(response.statusCode, 201, response.body);
      const { user } = response.json<TokenResponse>();
      assert.equal(user.email, "reg.opts@example.com");
      assert.equal(user.display_name, "Reg Opts");
      assert.equal(user.time_zone, "Europe/Berlin");
    });

    it("rejects a taken username with 409 naming body.username", async () => {
      await t.register("reg_taken");
      const response = await inject({
        method: "POST",
        url: "/api/v1/auth/register",
        payload: { username: "reg_taken", email: "other-reg_taken@example.com", password: TEST_PASSWORD },
      });
      assertError(response, 409, "conflict");
      assert.ok(response.json<ErrorEnvelope>().error.details?.some((d) => d.field === "body.username"), response.body);
    });

    it("rejects a taken email (in any case) with 409 naming body.email", async () => {
      await t.register("reg_mail");
      const response = await inject({
        method: "POST",
        url: "/api/v1/auth/register",
        payload: { username: "reg_mail2", email: "REG_MAIL@example.com", password: TEST_PASSWORD },
      });
      assertError(response, 409, "conflict");
      assert.ok(response.json<ErrorEnvelope>().error.details?.some((d) => d.field === "body.email"), response.body);
    });

    const valid = { username: "reg_bad", email: "reg_bad@example.com", password: TEST_PASSWORD };
    const badInputs: Array<[string, unknown, string]> = [
      ["a missing username", without(valid, "username"), "body.username"],
      ["a missing email", without(valid, "email"), "body.email"],
      ["a missing password", without(valid, "password"), "body.password"],
      ["an extra field", { ...valid, is_admin: true }, "body.is_admin"],
      ["a number as username", { ...valid, username: 12345 }, "body.username"],
      ["an array as email", { ...valid, email: ["reg_bad@example.com"] }, "body.email"],
      ["a number as password", { ...valid, password: 1234567890123 }, "body.password"],
      ["a number as display_name", { ...valid, display_name: 7 }, "body.display_name"],
      ["a number as time_zone", { ...valid, time_zone: 5 }, "body.time_zone"],
      ["a 2-character username", { ...valid, username: "ab" }, "body.username"],
      ["a 33-character username", { ...valid, username: "a".repeat(33) }, "body.username"],
      ["an upper-case username", { ...valid, username: "RegBad" }, "body.username"],
      ["a username with a space", { ...valid, username: "reg bad" }, "body.username"],
      ["a username with '@'", { ...valid, username: "reg@bad" }, "body.username"],
      ["an invalid email", { ...valid, email: "not-an-email" }, "body.email"],
      ["an oversized email", { ...valid, email: `${"a".repeat(60)}@${"b".repeat(200)}.com` }, "body.email"],
      ["a 9-character password", { ...valid, password: "short-pw9" }, "body.password"],
      ["an oversized password", { ...valid, password: "p".repeat(257) }, "body.password"],
      ["a common password", { ...valid, password: "password123" }, "body.password"],
      ["a common password in another case", { ...valid, password: "QWERTYUIOP" }, "body.password"],
      ["the username as password", { ...valid, username: "reg_bad_same", password: "reg_bad_same" }, "body.password"],
      ["the email as password", { ...valid, email: "reg_bad@example.com", password: "reg_bad@example.com" }, "body.password"],
      ["an empty display_name", { ...valid, display_name: "   " }, "body.display_name"],
      ["an oversized display_name", { ...valid, display_name: "d".repeat(101) }, "body.display_name"],
      ["an unknown time zone", { ...valid, time_zone: "Mars/Olympus_Mons" }, "body.time_zone"],
      ["an oversized time zone", { ...valid, time_zone: `Europe/${"x".repeat(64)}` }, "body.time_zone"],
    ];
    for (const [name, payload, field] of badInputs) {
      it(`rejects ${name} with 400 naming ${field}`, async () => {
        assertError(await inject({ method: "POST", url: "/api/v1/auth/register", payload: payload as Record<string, unknown> }), 400, "validation_error", field);
      });
    }

    it("names every bad field at once", async () => {
      const body = assertError(
        await inject({ method: "POST", url: "/api/v1/auth/register", payload: { username: "X", email: "nope", password: 1, extra: true } }),
        400,
        "validation_error",
      );
      const fields = (body.error.details ?? []).map((d) => d.field).sort();
      assert.deepEqual(fields, ["body.email", "body.extra", "body.password", "body.username"]);
    });

    it("reports a missing field as required", async () => {
      const body = assertError(await inject({ method: "POST", url: "/api/v1/auth/register", payload: without(valid, "username") }), 400, "validation_error", "body.username");
      assert.deepEqual(body.error.details, [{ field: "body.username", problem: "is required" }]);
    });

    it("rejects a missing body and a non-object body with 400", async () => {
      assertError(await inject({ method: "POST", url: "/api/v1/auth/register" }), 400, "validation_error");
      assertError(
        await inject({ method: "POST", url: "/api/v1/auth/register", headers: { "content-type": "application/json" }, payload: "[]" }),
        400,
        "validation_error",
        "body",
      );
      assertError(
        await inject({ method: "POST", url: "/api/v1/auth/register", headers: { "content-type": "application/json" }, payload: '"reg_bad"' }),
        400,
        "validation_error",
        "body",
      );
    });

    it("creates nothing when it rejects a registration", async () => {
      // All of the cases above used username reg_bad; it must still be free.
      const response = await inject({ method: "POST", url: "/api/v1/auth/register", payload: valid });
      assert.equal(response.statusCode, 201, response.body);
    });
  });

  describe("POST /api/v1/auth/login", () => {
    let user: TokenResponse;
    before(async () => {
      user = await t.register("login_user");
    });

    it("logs in by username, opening a new session", async () => {
      const response = await login("login_user");
      assert.equal(response.statusCode, 200, response.body);
      const tokens = response.json<TokenResponse>();
      assert.equal(tokens.user.id, user.user.id);
      assert.equal(tokens.token_type, "Bearer");
      assert.notEqual(tokens.session_id, user.session_id);
      assert.notEqual(tokens.refresh_token, user.refresh_token);
      assert.equal((await me(tokens.access_token)).statusCode, 200);
    });

    it("logs in by email, in any case", async () => {
      for (const login_ of ["login_user@example.com", "Login_User@Example.com"]) {
        const response = await login(login_);
        assert.equal(response.statusCode, 200, `${login_}: ${response.body}`);
        assert.equal(response.json<TokenResponse>().user.id, user.user.id);
      }
    });

    it("answers a wrong password with 401 and a generic message", async () => {
      const body = assertError(await login("login_user", "not-the-password"), 401, "unauthorized");
      assert.equal(body.error.message, GENERIC_LOGIN_FAILURE);
      assert.equal(body.error.details, undefined);
    });

    it("answers an unknown username or email exactly like a wrong password", async () => {
      const wrongPassword = assertError(await login("login_user", "not-the-password"), 401, "unauthorized");
      const unknownUser = assertError(await login("no_such_user", "not-the-password"), 401, "unauthorized");
      const unknownEmail = assertError(await login("nobody@example.com", "not-the-password"), 401, "unauthorized");
      assert.equal(unknownUser.error.message, wrongPassword.error.message);
      assert.equal(unknownEmail.error.message, wrongPassword.error.message);
      assert.doesNotMatch(wrongPassword.error.message, /exist|unknown|not found|incorrect password/i);
    });

    it("does not accept the password of another account", async () => {
      await t.register("login_other");
      const response = await inject({ method: "POST", url: "/api/v1/auth/login", payload: { username: "login_other", password: "not-the-password" } });
      assertError(response, 401, "unauthorized");
    });

    const badInputs: Array<[string, unknown, string]> = [
      ["a missing username", { password: TEST_PASSWORD }, "body.username"],
      ["a missing password", { username: "login_user" }, "body.password"],
      ["an extra field", { username: "login_user", password: TEST_PASSWORD, remember_me: true }, "body.remember_me"],
      ["a number as username", { username: 42, password: TEST_PASSWORD }, "body.username"],
      ["an object as password", { username: "login_user", password: { value: TEST_PASSWORD } }, "body.password"],
      ["an empty username", { username: "", password: TEST_PASSWORD }, "body.username"],
      ["an empty password", { username: "login_user", password: "" }, "body.password"],
      ["an oversized username", { username: "u".repeat(255), password: TEST_PASSWORD }, "body.username"],
      ["an oversized password", { username: "login_user", password: "p".repeat(257) }, "body.password"],
    ];
    for (const [name, payload, field] of badInputs) {
      it(`rejects ${name} with 400 naming ${field}`, async () => {
        assertError(await inject({ method: "POST", url: "/api/v1/auth/login", payload: payload as Record<string, unknown> }), 400, "validation_error", field);
      });
    }
  });

  describe("POST /api/v1/auth/refresh", () => {
    it("returns new tokens for the same session and rotates the refresh token", async () => {
      const first = await t.register("refresh_ok");
      const response = await refresh(first.refresh_token);
      assert.equal(response.statusCode, 200, response.body);
      const second = response.json<TokenResponse>();
      assert.equal(second.session_id, first.session_id);
      assert.equal(second.user.id, first.user.id);
      assert.notEqual(second.refresh_token, first.refresh_token, "a new refresh token on every refresh");
      assert.equal(second.expires_in, 15 * 60);
      assert.equal((await me(second.access_token)).statusCode, 200);

      // The chain keeps working with the newest token each time.
      const third = await refresh(second.refresh_token);
      assert.equal(third.statusCode, 200, third.body);
      assert.notEqual(third.json<TokenResponse>().refresh_token, second.refresh_token);
    });

    it("revokes the session when a rotated refresh token is presented again", async () => {
      const original = await t.register("refresh_reuse");
      const other = (await login("refresh_reuse")).json<TokenResponse>();
      const rotated = (await refresh(original.refresh_token)).json<TokenResponse>();

      const reuse = assertError(await refresh(original.refresh_token), 401, "unauthorized");
      assert.match(reuse.error.message, /already used|revoked/i);

      // Both holders are out: the newest refresh token and the access tokens of that session stop working.
      assertError(await refresh(rotated.refresh_token), 401, "unauthorized");
      assertError(await me(rotated.access_token), 401, "unauthorized");
      assertError(await me(original.access_token), 401, "unauthorized");

      // The user's other sessions are untouched.
      assert.equal((await me(other.access_token)).statusCode, 200);
      const sessions = await sessionsOf(other.access_token);
      assert.deepEqual(
        sessions.map((s) => s.id),
        [other.session_id],
        "the reused session is no longer listed",
      );
    });

    it("rejects an unknown refresh token with 401", async () => {
      assertError(await refresh("aur_this-token-was-never-issued-by-auspex-0000000"), 401, "unauthorized");
    });

    it("rejects an access token presented as refresh token with 401", async () => {
      const tokens = await t.register("refresh_jwt");
      assertError(await refresh(tokens.access_token), 401, "unauthorized");
    });

    it("rejects the refresh token of a logged-out session with 401", async () => {
      const tokens = await t.register("refresh_logout");
      assert.equal((await inject({ method: "POST", url: "/api/v1/auth/logout", headers: t.bearer(tokens.access_token) })).statusCode, 204);
      assertError(await refresh(tokens.refresh_token), 401, "unauthorized");
    });

    const badInputs: Array<[string, unknown, string]> = [
      ["a missing refresh_token", {}, "body.refresh_token"],
      ["an extra field", { refresh_token: "aur_x", session_id: "s" }, "body.session_id"],
      ["a number as refresh_token", { refresh_token: 1 }, "body.refresh_token"],
      ["an empty refresh_token", { refresh_token: "" }, "body.refresh_token"],
      ["an oversized refresh_token", { refresh_token: "r".repeat(513) }, "body.refresh_token"],
    ];
    for (const [name, payload, field] of badInputs) {
      it(`rejects ${name} with 400 naming ${field}`, async () => {
        assertError(await inject({ method: "POST", url: "/api/v1/auth/refresh", payload: payload as Record<string, unknown> }), 400, "validation_error", field);
      });
    }
  });

  describe("POST /api/v1/auth/logout", () => {
    it("ends the current session at once", async () => {
      const tokens = await t.register("logout_ok");
      const other = (await login("logout_ok")).json<TokenResponse>();
      const response = await inject({ method: "POST", url: "/api/v1/auth/logout", headers: t.bearer(tokens.access_token) });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, "");

      assertError(await me(tokens.access_token), 401, "unauthorized");
      assertError(await refresh(tokens.refresh_token), 401, "unauthorized");
      assertError(await inject({ method: "POST", url: "/api/v1/auth/logout", headers: t.bearer(tokens.access_token) }), 401, "unauthorized");

      assert.equal((await me(other.access_token)).statusCode, 200, "other sessions stay");
      assert.deepEqual(
        (await sessionsOf(other.access_token)).map((s) => s.id),
        [other.session_id],
      );
    });

    it("needs credentials", async () => {
      assertError(await inject({ method: "POST", url: "/api/v1/auth/logout" }), 401, "unauthorized");
    });
  });

  describe("GET /api/v1/auth/me", () => {
    let tokens: TokenResponse;
    before(async () => {
      tokens = await t.register("me_get");
    });

    it("returns the current user", async () => {
      const response = await me(tokens.access_token);
      assert.equal(response.statusCode, 200);
      const user = response.json<User>();
      assert.deepEqual(Object.keys(user).sort(), ["created_at", "display_name", "email", "id", "time_zone", "username"]);
      assert.equal(user.username, "me_get");
      assert.equal(user.email, "me_get@example.com");
    });

    it("answers missing, malformed and forged credentials with 401", async () => {
      assertError(await inject({ method: "GET", url: "/api/v1/auth/me" }), 401, "unauthorized");
      assertError(await inject({ method: "GET", url: "/api/v1/auth/me", headers: { authorization: "" } }), 401, "unauthorized");
      assertError(await inject({ method: "GET", url: "/api/v1/auth/me", headers: { authorization: "Bearer" } }), 401, "unauthorized");
      assertError(await inject({ method: "GET", url: "/api/v1/auth/me", headers: { authorization: "Token abc" } }), 401, "unauthorized");
      assertError(await inject({ method: "GET", url: "/api/v1/auth/me", headers: { authorization: tokens.access_token } }), 401, "unauthorized");
      assertError(await me("not.a.jwt"), 401, "unauthorized");

      const [header, payload, signature] = tokens.access_token.split(".") as [string, string, string];
      const flipped = signature.slice(0, -2) + (signature.endsWith("AA") ? "BB" : "AA");
      assertError(await me(`${header}.${payload}.${flipped}`), 401, "unauthorized");

      // A token claiming another user, unsigned (alg none).
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
      const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url");
      assertError(await me(`${none}.${forged}.`), 401, "unauthorized");
    });
  });

  describe("PATCH /api/v1/auth/me", () => {
    let tokens: TokenResponse;
    const patch = (payload: unknown, token = tokens.access_token) =>
      inject({ method: "PATCH", url: "/api/v1/auth/me", headers: t.bearer(token), payload: payload as Record<string, unknown> });

    before(async () => {
      tokens = await t.register("me_patch");
      await t.register("me_patch_other");
    });

    it("changes email and display name, and the change persists", async () => {
      const response = await patch({ email: "Me.Patch.New@Example.com", display_name: "Me Patch" });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json<User>().email, "me.patch.new@example.com");
      assert.equal(response.json<User>().display_name, "Me Patch");
      const reread = (await me(tokens.access_token)).json<User>();
      assert.equal(reread.email, "me.patch.new@example.com");
      assert.equal(reread.display_name, "Me Patch");
      assert.equal(reread.username, "me_patch", "the username does not change");

      // The new email logs in.
      assert.equal((await login("me.patch.new@example.com")).statusCode, 200);
    });

    it("clears the display name with null and leaves other fields alone", async () => {
      await patch({ display_name: "Temporary" });
      const response = await patch({ display_name: null });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json<User>().display_name, null);
      assert.equal(response.json<User>().email, "me.patch.new@example.com");
    });

    it("accepts an empty patch as a no-op", async () => {
      const before_ = (await me(tokens.access_token)).json<User>();
      const response = await patch({});
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json<User>(), before_);
    });

    it("stores an IANA time zone such as America/New_York", async () => {
      const response = await patch({ time_zone: "America/New_York" });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json<User>().time_zone, "America/New_York");
      assert.equal((await me(tokens.access_token)).json<User>().time_zone, "America/New_York");
    });

    it("stores Asia/Kolkata as Asia/Kolkata", async () => {
      const response = await patch({ time_zone: "Asia/Kolkata" });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json<User>().time_zone, "Asia/Kolkata", "the zone the user chose, not a legacy alias");
      assert.equal((await me(tokens.access_token)).json<User>().time_zone, "Asia/Kolkata");
    });

    for (const [input, expected] of [
      ["america/new_york", "America/New_York"],
      ["EUROPE/BERLIN", "Europe/Berlin"],
      ["asia/kolkata", "Asia/Kolkata"],
      ["utc", "UTC"],
    ] as const) {
      it(`stores ${input} in its IANA spelling ${expected}`, async () => {
        const response = await patch({ time_zone: input });
        assert.equal(response.statusCode, 200, response.body);
        assert.equal(response.json<User>().time_zone, expected);
      });
    }

    it("keeps the user's own email (in another case) without a conflict", async () => {
      const response = await patch({ email: "ME.PATCH.NEW@example.com" });
      assert.equal(response.statusCode, 200, response.body);
    });

    it("rejects another user's email with 409 naming body.email", async () => {
      const response = await patch({ email: "me_patch_other@example.com" });
      assertError(response, 409, "conflict");
      assert.ok(response.json<ErrorEnvelope>().error.details?.some((d) => d.field === "body.email"), response.body);
    });

    const badInputs: Array<[string, unknown, string]> = [
      ["an invalid time zone", { time_zone: "Asia/Atlantis" }, "body.time_zone"],
      ["a UTC offset as time zone", { time_zone: "+05:30 India" }, "body.time_zone"],
      ["a number as time zone", { time_zone: 330 }, "body.time_zone"],
      ["an oversized time zone", { time_zone: `America/${"x".repeat(64)}` }, "body.time_zone"],
      ["an invalid email", { email: "me-at-example" }, "body.email"],
      ["a null email", { email: null }, "body.email"],
      ["a number as display_name", { display_name: 42 }, "body.display_name"],
      ["a blank display_name", { display_name: "   " }, "body.display_name"],
      ["an oversized display_name", { display_name: "d".repeat(101) }, "body.display_name"],
      ["the username (not changeable)", { username: "someone_else" }, "body.username"],
      ["an unknown field", { role: "admin" }, "body.role"],
    ];
    for (const [name, payload, field] of badInputs) {
      it(`rejects ${name} with 400 naming ${field}`, async () => {
        assertError(await patch(payload), 400, "validation_error", field);
      });
    }

    it("needs credentials", async () => {
      assertError(await inject({ method: "PATCH", url: "/api/v1/auth/me", payload: { display_name: "x" } }), 401, "unauthorized");
    });
  });

  describe("POST /api/v1/auth/password", () => {
    const changePassword = (token: string, payload: unknown) =>
      inject({ method: "POST", url: "/api/v1/auth/password", headers: t.bearer(token), payload: payload as Record<string, unknown> });

    it("changes the password and revokes every other session", async () => {
      const current = await t.register("pw_change");
      const second = (await login("pw_change")).json<TokenResponse>();
      const third = (await login("pw_change")).json<TokenResponse>();

      const response = await changePassword(current.access_token, { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { revoked: 2 });

      assert.equal((await me(current.access_token)).statusCode, 200, "the session that changed it stays");
      for (const other of [second, third]) {
        assertError(await me(other.access_token), 401, "unauthorized");
        assertError(await refresh(other.refresh_token), 401, "unauthorized");
      }
      assert.deepEqual(
        (await sessionsOf(current.access_token)).map((s) => s.id),
        [current.session_id],
      );

      const oldLogin = assertError(await login("pw_change", TEST_PASSWORD), 401, "unauthorized");
      assert.equal(oldLogin.error.message, GENERIC_LOGIN_FAILURE);
      assert.equal((await login("pw_change", NEW_PASSWORD)).statusCode, 200);
      assert.equal((await refresh(current.refresh_token)).statusCode, 200, "the current session's refresh token still works");
    });

    it("rejects a wrong current password with 400 naming body.current_password and changes nothing", async () => {
      const tokens = await t.register("pw_wrong");
      const other = (await login("pw_wrong")).json<TokenResponse>();
      assertError(
        await changePassword(tokens.access_token, { current_password: "not-the-password", new_password: NEW_PASSWORD }),
        400,
        "validation_error",
        "body.current_password",
      );
      assert.equal((await login("pw_wrong", TEST_PASSWORD)).statusCode, 200, "the old password still works");
      assertError(await login("pw_wrong", NEW_PASSWORD), 401, "unauthorized");
      assert.equal((await me(other.access_token)).statusCode, 200, "no session was revoked");
    });

    describe("bad input", () => {
      let tokens: TokenResponse;
      before(async () => {
        tokens = await t.register("pw_bad_user");
      });
      const badInputs: Array<[string, unknown, string]> = [
        ["a missing current_password", { new_password: NEW_PASSWORD }, "body.current_password"],
        ["a missing new_password", { current_password: TEST_PASSWORD }, "body.new_password"],
        ["an extra field", { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD, confirm: NEW_PASSWORD }, "body.confirm"],
        ["a number as new_password", { current_password: TEST_PASSWORD, new_password: 12345678901 }, "body.new_password"],
        ["a too short new_password", { current_password: TEST_PASSWORD, new_password: "short" }, "body.new_password"],
        ["an oversized new_password", { current_password: TEST_PASSWORD, new_password: "n".repeat(257) }, "body.new_password"],
        ["an oversized current_password", { current_password: "c".repeat(257), new_password: NEW_PASSWORD }, "body.current_password"],
        ["a common new_password", { current_password: TEST_PASSWORD, new_password: "1234567890" }, "body.new_password"],
        ["the username as new_password", { current_password: TEST_PASSWORD, new_password: "pw_bad_user" }, "body.new_password"],
      ];
      for (const [name, payload, field] of badInputs) {
        it(`rejects ${name} with 400 naming ${field}`, async () => {
          assertError(await changePassword(tokens.access_token, payload), 400, "validation_error", field);
        });
      }

      it("left the password unchanged", async () => {
        assert.equal((await login("pw_bad_user", TEST_PASSWORD)).statusCode, 200);
      });
    });

    it("needs credentials", async () => {
      assertError(await inject({ method: "POST", url: "/api/v1/auth/password", payload: { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD } }), 401, "unauthorized");
    });
  });
});

describe("auth routes with a manual clock", () => {
  const clock = manualClock();
  let t: TestApp;
  const inject = (options: InjectOptions) => t.auspex.app.inject(options);
  const me = (token: string) => inject({ method: "GET", url: "/api/v1/auth/me", headers: t.bearer(token) });
  const refresh = (refreshToken: string) => inject({ method: "POST", url: "/api/v1/auth/refresh", payload: { refresh_token: refreshToken } });

  before(async () => {
    t = await startTestApp({ AUSPEX_ACCESS_TOKEN_TTL: "5m", AUSPEX_REFRESH_TOKEN_TTL: "1h" }, { clock });
  });
  after(() => t.close());

  it("issues access tokens with the configured lifetime", async () => {
    const tokens = await t.register("ttl_access");
    assert.equal(tokens.expires_in, 300);
    clock.advance(299);
    assert.equal((await me(tokens.access_token)).statusCode, 200);
    clock.advance(2);
    const body = assertError(await me(tokens.access_token), 401, "unauthorized");
    assert.match(body.error.message, /expired/i);

    // The refresh token outlives the access token and brings a fresh one.
    const renewed = await refresh(tokens.refresh_token);
    assert.equal(renewed.statusCode, 200, renewed.body);
    assert.equal((await me(renewed.json<TokenResponse>().access_token)).statusCode, 200);
  });

  it("rejects a refresh token after an idle session has expired", async () => {
    const tokens = await t.register("ttl_refresh");
    clock.advance(3601);
    const body = assertError(await refresh(tokens.refresh_token), 401, "unauthorized");
    assert.doesNotMatch(body.error.message, /already used/i);
  });

  it("keeps an active session alive by sliding its expiry on refresh", async () => {
    let tokens = await t.register("ttl_slide");
    for (let i = 0; i < 3; i++) {
      clock.advance(1800);
      const response = await refresh(tokens.refresh_token);
      assert.equal(response.statusCode, 200, `refresh ${i + 1}: ${response.body}`);
      tokens = response.json<TokenResponse>();
    }
    assert.equal((await me(tokens.access_token)).statusCode, 200);
  });
});

describe("auth routes over a real listening server", () => {
  let t: TestApp;
  let base: string;

  before(async () => ({ t, base } = await startListeningTestApp()));
  after(() => t.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

  it("registers, logs in, reads and edits /me, refreshes, changes the password and logs out", async () => {
    const registered = await post("/api/v1/auth/register", { username: "wire_user", email: "wire_user@example.com", password: TEST_PASSWORD });
    assert.equal(registered.status, 201);
    assert.match(registered.headers.get("content-type") ?? "", /application\/json/);
    const first = (await registered.json()) as TokenResponse;

    const loggedIn = await post("/api/v1/auth/login", { username: "wire_user@example.com", password: TEST_PASSWORD });
    assert.equal(loggedIn.status, 200);
    const second = (await loggedIn.json()) as TokenResponse;

    const meResponse = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${second.access_token}` } });
    assert.equal(meResponse.status, 200);
    assert.equal(((await meResponse.json()) as User).username, "wire_user");

    const patched = await fetch(`${base}/api/v1/auth/me`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${second.access_token}` },
      body: JSON.stringify({ time_zone: "Europe/Paris", display_name: "Wire" }),
    });
    assert.equal(patched.status, 200);
    assert.equal(((await patched.json()) as User).time_zone, "Europe/Paris");

    const refreshed = await post("/api/v1/auth/refresh", { refresh_token: second.refresh_token });
    assert.equal(refreshed.status, 200);
    const third = (await refreshed.json()) as TokenResponse;

    const changed = await post("/api/v1/auth/password", { current_password: TEST_PASSWORD, new_password: NEW_PASSWORD }, { authorization: `Bearer ${third.access_token}` });
    assert.equal(changed.status, 200);
    assert.deepEqual(await changed.json(), { revoked: 1 });
    const firstMe = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${first.access_token}` } });
    assert.equal(firstMe.status, 401, "the registration session was revoked by the password change");

    const loggedOut = await fetch(`${base}/api/v1/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${third.access_token}` } });
    assert.equal(loggedOut.status, 204);
    const after_ = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${third.access_token}` } });
    assert.equal(after_.status, 401);
  });

  it("returns the error envelope for bad input and a wrong password", async () => {
    const bad = await post("/api/v1/auth/register", { username: "wire_bad", email: "wire_bad@example.com", password: "short", admin: true });
    assert.equal(bad.status, 400);
    const badBody = (await bad.json()) as ErrorEnvelope;
    assert.equal(badBody.error.code, "validation_error");
    assert.deepEqual(badBody.error.details?.map((d) => d.field).sort(), ["body.admin", "body.password"]);
    assert.equal(badBody.error.requestId, bad.headers.get("x-request-id"));

    const wrong = await post("/api/v1/auth/login", { username: "wire_user", password: "definitely-wrong" });
    assert.equal(wrong.status, 401);
    const wrongBody = (await wrong.json()) as ErrorEnvelope;
    assert.equal(wrongBody.error.code, "unauthorized");
    assert.equal(wrongBody.error.message, GENERIC_LOGIN_FAILURE);
  });
});
