import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { InjectOptions } from "fastify";
import type { ApiKey, CreatedApiKey, TokenResponse, User } from "@auspex/shared/contracts/auth.ts";
import type { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";
import { TEST_PASSWORD, manualClock, startListeningTestApp, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/* API keys: creation (secret shown once), listing, revocation, scopes, bearer and basic auth. */


const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` });

describe("API key routes", () => {
  const clock = manualClock();
  let t: TestApp;
  const inject = (options: InjectOptions) => t.auspex.app.inject(options);
  const create = (token: string, payload: unknown) =>
    inject({ method: "POST", url: "/api/v1/api-keys", headers: t.bearer(token), payload: payload as Record<string, unknown> });
  const createKey = async (token: string, payload: { name: string; scopes: string[]; expires_in_days?: number }): Promise<CreatedApiKey> => {
    const response = await create(token, payload);
    assert.equal(response.statusCode, 201, response.body);
    return response.json<CreatedApiKey>();
  };
  const list = async (token: string): Promise<ApiKey[]> => {
    const response = await inject({ method: "GET", url: "/api/v1/api-keys", headers: t.bearer(token) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ api_keys: ApiKey[] }>().api_keys;
  };
  const revoke = (token: string, id: string) => inject({ method: "DELETE", url: `/api/v1/api-keys/${encodeURIComponent(id)}`, headers: t.bearer(token) });
  const meWith = (headers: Record<string, string>) => inject({ method: "GET", url: "/api/v1/auth/me", headers });

  before(async () => {
    t = await startTestApp({}, { clock });
  });
  after(() => t.close());

  describe("POST /api/v1/api-keys", () => {
    it("creates a key and returns its secret once", async () => {
      const owner = await t.register("key_create");
      const response = await create(owner.access_token, { name: "prometheus remote_write", scopes: ["ingest"] });
      assert.equal(response.statusCode, 201, response.body);
      const created = response.json<CreatedApiKey>();
      assert.equal(created.name, "prometheus remote_write");
      assert.deepEqual(created.scopes, ["ingest"]);
      assert.equal(created.created_at, clock.now().toISOString());
      assert.equal(created.last_used_at, null);
      assert.equal(created.expires_at, null);
      assert.equal(typeof created.key, "string");
      assert.ok(created.key.length >= 40, "a long random secret");
      assert.ok(created.key.startsWith(created.prefix), "the prefix is the start of the key");
      assert.ok(created.prefix.length < created.key.length / 2, "the prefix does not give the key away");

      const listed = await list(owner.access_token);
      assert.equal(listed.length, 1);
      const [only] = listed;
      assert.equal(only?.id, created.id);
      assert.deepEqual(Object.keys(only ?? {}).sort(), ["created_at", "expires_at", "id", "last_used_at", "name", "prefix", "scopes"]);
      const listBody = (await inject({ method: "GET", url: "/api/v1/api-keys", headers: t.bearer(owner.access_token) })).body;
      assert.ok(!listBody.includes(created.key), "the secret is never listed");
      assert.doesNotMatch(listBody, /key_hash|"key"/);
    });

    it("trims the name, keeps several scopes and sets an expiry", async () => {
      const owner = await t.register("key_opts");
      const created = await createKey(owner.access_token, { name: "  grafana  ", scopes: ["read", "ingest"], expires_in_days: 30 });
      assert.equal(created.name, "grafana");
      assert.deepEqual([...created.scopes].sort(), ["ingest", "read"]);
      assert.equal(created.expires_at, new Date(clock.now().getTime() + 30 * 86_400_000).toISOString());
    });

    it("gives every key a different secret", async () => {
      const owner = await t.register("key_unique");
      const one = await createKey(owner.access_token, { name: "same", scopes: ["read"] });
      const two = await createKey(owner.access_token, { name: "same", scopes: ["read"] });
      assert.notEqual(one.id, two.id);
      assert.notEqual(one.key, two.key);
      assert.deepEqual(
        (await list(owner.access_token)).map((k) => k.id).sort(),
        [one.id, two.id].sort(),
      );
    });

    describe("bad input", () => {
      let owner: TokenResponse;
      before(async () => {
        owner = await t.register("key_bad");
      });
      const badInputs: Array<[string, unknown, string]> = [
        ["a missing name", { scopes: ["read"] }, "body.name"],
        ["a missing scopes", { name: "k" }, "body.scopes"],
        ["an extra field", { name: "k", scopes: ["read"], secret: "mine" }, "body.secret"],
        ["a number as name", { name: 5, scopes: ["read"] }, "body.name"],
        ["a string as scopes", { name: "k", scopes: "read" }, "body.scopes"],
        ["a string as expires_in_days", { name: "k", scopes: ["read"], expires_in_days: "30" }, "body.expires_in_days"],
        ["a fractional expires_in_days", { name: "k", scopes: ["read"], expires_in_days: 1.5 }, "body.expires_in_days"],
        ["a zero expires_in_days", { name: "k", scopes: ["read"], expires_in_days: 0 }, "body.expires_in_days"],
        ["an oversized expires_in_days", { name: "k", scopes: ["read"], expires_in_days: 3651 }, "body.expires_in_days"],
        ["a blank name", { name: "   ", scopes: ["read"] }, "body.name"],
        ["an oversized name", { name: "n".repeat(101), scopes: ["read"] }, "body.name"],
        ["no scopes", { name: "k", scopes: [] }, "body.scopes"],
        ["an unknown scope", { name: "k", scopes: ["write"] }, "body.scopes.0"],
        ["an unknown scope after a good one", { name: "k", scopes: ["read", "root"] }, "body.scopes.1"],
        ["a repeated scope", { name: "k", scopes: ["read", "read"] }, "body.scopes"],
      ];
      for (const [name, payload, field] of badInputs) {
        it(`rejects ${name} with 400 naming ${field}`, async () => {
          assertError(await create(owner.access_token, payload), 400, "validation_error", field);
        });
      }

      it("created no key for any of them", async () => {
        assert.deepEqual(await list(owner.access_token), []);
      });
    });

    it("needs credentials", async () => {
      assertError(await inject({ method: "POST", url: "/api/v1/api-keys", payload: { name: "k", scopes: ["read"] } }), 401, "unauthorized");
    });
  });

  describe("using a key", () => {
    let owner: TokenResponse;
    let readKey: CreatedApiKey;
    let ingestKey: CreatedApiKey;
    let adminKey: CreatedApiKey;
    before(async () => {
      owner = await t.register("key_use");
      readKey = await createKey(owner.access_token, { name: "reader", scopes: ["read"] });
      ingestKey = await createKey(owner.access_token, { name: "agent", scopes: ["ingest"] });
      adminKey = await createKey(owner.access_token, { name: "automation", scopes: ["admin"] });
    });

    it("is accepted as Authorization: Bearer", async () => {
      const response = await meWith(t.bearer(readKey.key));
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json<User>().id, owner.user.id);
    });

    it("is accepted as the password of HTTP basic auth, with any username", async () => {
      for (const username of ["prometheus", "key_use", ""]) {
        const response = await meWith(basic(username, readKey.key));
        assert.equal(response.statusCode, 200, `username '${username}': ${response.body}`);
        assert.equal(response.json<User>().id, owner.user.id);
      }
      // Lower-case scheme names are fine too.
      const lower = await meWith({ authorization: `basic ${Buffer.from(`x:${readKey.key}`).toString("base64")}` });
      assert.equal(lower.statusCode, 200);
    });

    it("rejects a wrong key, a key as basic-auth username and a malformed basic header with 401", async () => {
      assertError(await meWith(t.bearer(`${readKey.key}x`)), 401, "unauthorized");
      assertError(await meWith(t.bearer("auk_never-issued-0000000000000000000000000000")), 401, "unauthorized");
      assertError(await meWith(basic("prometheus", "not-a-key")), 401, "unauthorized");
      assertError(await meWith(basic(readKey.key, "")), 401, "unauthorized");
      assertError(await meWith({ authorization: `Basic ${Buffer.from(readKey.key).toString("base64")}` }), 401, "unauthorized");
      assertError(await meWith(basic("prometheus", owner.refresh_token)), 401, "unauthorized");
    });

    it("is refused with 403 on a route needing a scope it lacks", async () => {
      const body = assertError(await meWith(t.bearer(ingestKey.key)), 403, "forbidden");
      assert.match(body.error.message, /read/);
      assertError(await meWith(basic("agent", ingestKey.key)), 403, "forbidden");
    });

    it("with admin scope holds every scope", async () => {
      assert.equal((await meWith(t.bearer(adminKey.key))).statusCode, 200);
      const both = await createKey(owner.access_token, { name: "both", scopes: ["ingest", "read"] });
      assert.equal((await meWith(t.bearer(both.key))).statusCode, 200);
    });

    it("cannot manage sessions or API keys, even with admin scope (403)", async () => {
      const other = await t.register("key_use_victim");
      const sessionId = owner.session_id;
      const requests: InjectOptions[] = [
        { method: "GET", url: "/api/v1/api-keys" },
        { method: "POST", url: "/api/v1/api-keys", payload: { name: "escalate", scopes: ["admin"] } },
        { method: "DELETE", url: `/api/v1/api-keys/${readKey.id}` },
        { method: "GET", url: "/api/v1/auth/sessions" },
        { method: "DELETE", url: `/api/v1/auth/sessions/${sessionId}` },
        { method: "POST", url: "/api/v1/auth/sessions/revoke-all" },
        { method: "POST", url: "/api/v1/auth/logout" },
        { method: "PATCH", url: "/api/v1/auth/me", payload: { display_name: "hijacked" } },
        { method: "POST", url: "/api/v1/auth/password", payload: { current_password: TEST_PASSWORD, new_password: "stolen-account-99" } },
      ];
      for (const request of requests) {
        for (const headers of [t.bearer(adminKey.key), basic("x", adminKey.key)]) {
          const response = await inject({ ...request, headers });
          assertError(response, 403, "forbidden");
        }
      }
      // Nothing happened.
      assert.equal((await list(owner.access_token)).length, 4);
      assert.equal((await meWith(t.bearer(owner.access_token))).statusCode, 200);
      assert.equal((await meWith(t.bearer(owner.access_token))).json<User>().display_name, null);
      assert.equal((await meWith(t.bearer(other.access_token))).statusCode, 200);
    });

    it("records last_used_at when used", async () => {
      const owner2 = await t.register("key_last_used");
      const key = await createKey(owner2.access_token, { name: "touch", scopes: ["read"] });
      assert.equal((await list(owner2.access_token))[0]?.last_used_at, null, "never used yet");

      clock.advance(30);
      const firstUse = clock.now().toISOString();
      assert.equal((await meWith(t.bearer(key.key))).statusCode, 200);
      assert.equal((await list(owner2.access_token))[0]?.last_used_at, firstUse);

      clock.advance(120);
      const laterUse = clock.now().toISOString();
      assert.equal((await meWith(basic("grafana", key.key))).statusCode, 200);
      assert.equal((await list(owner2.access_token))[0]?.last_used_at, laterUse, "basic auth counts as use");
    });

    it("stops working when it expires", async () => {
      const owner3 = await t.register("key_expiry");
      const key = await createKey(owner3.access_token, { name: "short", scopes: ["read"], expires_in_days: 1 });
      clock.advance(86_400 - 1);
      assert.equal((await meWith(t.bearer(key.key))).statusCode, 200);
      clock.advance(2);
      assertError(await meWith(t.bearer(key.key)), 401, "unauthorized");
      assertError(await meWith(basic("x", key.key)), 401, "unauthorized");
    });

    it("is counted as an invalid_api_key auth failure when wrong", async () => {
      const count = async () => {
        const metrics = (await inject({ method: "GET", url: "/metrics" })).body;
        const line = metrics.split("\n").find((l) => l.startsWith('auspex_auth_failures_total{reason="invalid_api_key"}'));
        return line === undefined ? 0 : Number(line.split(" ").pop());
      };
      const before_ = await count();
      await meWith(t.bearer("auk_wrong-key-for-metrics-000000000000000000000"));
      assert.equal(await count(), before_ + 1);
    });
  });

  describe("DELETE /api/v1/api-keys/:id", () => {
    it("revokes the key: it is no longer listed and stops working at once", async () => {
      const owner = await t.register("key_revoke");
      const keep = await createKey(owner.access_token, { name: "keep", scopes: ["read"] });
      const drop = await createKey(owner.access_token, { name: "drop", scopes: ["read"] });
      assert.equal((await meWith(t.bearer(drop.key))).statusCode, 200);

      const response = await revoke(owner.access_token, drop.id);
      assert.equal(response.statusCode, 204, response.body);
      assert.equal(response.body, "");

      assert.deepEqual((await list(owner.access_token)).map((k) => k.id), [keep.id]);
      assertError(await meWith(t.bearer(drop.key)), 401, "unauthorized");
      assertError(await meWith(basic("x", drop.key)), 401, "unauthorized");
      assert.equal((await meWith(t.bearer(keep.key))).statusCode, 200, "other keys keep working");

      assertError(await revoke(owner.access_token, drop.id), 404, "not_found");
    });

    it("answers an unknown id with 404 and an oversized id with 400", async () => {
      const owner = await t.register("key_revoke_404");
      assertError(await revoke(owner.access_token, "01900000-0000-7000-8000-000000000000"), 404, "not_found");
      assertError(await revoke(owner.access_token, "k".repeat(65)), 400, "validation_error", "params.id");
    });

    it("answers another user's key with 404 and the key keeps working", async () => {
      const a = await t.register("key_iso_a");
      const b = await t.register("key_iso_b");
      const key = await createKey(a.access_token, { name: "a's", scopes: ["read"] });
      assertError(await revoke(b.access_token, key.id), 404, "not_found");
      assert.deepEqual(await list(b.access_token), [], "B does not see A's keys");
      assert.equal((await meWith(t.bearer(key.key))).json<User>().id, a.user.id);
    });

    it("needs credentials", async () => {
      assertError(await inject({ method: "DELETE", url: "/api/v1/api-keys/whatever" }), 401, "unauthorized");
    });
  });

  it("keeps working after the owner logs out: keys are independent of login sessions", async () => {
    const owner = await t.register("key_indep");
    const key = await createKey(owner.access_token, { name: "ci", scopes: ["read"] });
    assert.equal((await inject({ method: "POST", url: "/api/v1/auth/logout", headers: t.bearer(owner.access_token) })).statusCode, 204);
    assert.equal((await meWith(t.bearer(key.key))).statusCode, 200, "logging out does not revoke API keys");
  });
});

describe("API keys over a real listening server", () => {
  let t: TestApp;
  let base: string;

  before(async () => ({ t, base } = await startListeningTestApp()));
  after(() => t.close());

  it("creates, lists, uses (bearer and basic) and revokes a key", async () => {
    const owner = await t.register("wire_keys");
    const session = { authorization: `Bearer ${owner.access_token}` };

    const created = await fetch(`${base}/api/v1/api-keys`, {
      method: "POST",
      headers: { ...session, "content-type": "application/json" },
      body: JSON.stringify({ name: "grafana", scopes: ["read"] }),
    });
    assert.equal(created.status, 201);
    const key = (await created.json()) as CreatedApiKey;

    const listed = await fetch(`${base}/api/v1/api-keys`, { headers: session });
    const listText = await listed.text();
    assert.ok(!listText.includes(key.key));
    assert.deepEqual((JSON.parse(listText) as { api_keys: ApiKey[] }).api_keys.map((k) => k.id), [key.id]);

    const viaBearer = await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key.key}` } });
    assert.equal(viaBearer.status, 200);
    const viaBasic = await fetch(`${base}/api/v1/auth/me`, { headers: basic("grafana", key.key) });
    assert.equal(viaBasic.status, 200);
    assert.equal(((await viaBasic.json()) as User).username, "wire_keys");

    const forbidden = await fetch(`${base}/api/v1/api-keys`, { headers: { authorization: `Bearer ${key.key}` } });
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as ErrorEnvelope).error.code, "forbidden");

    const revoked = await fetch(`${base}/api/v1/api-keys/${key.id}`, { method: "DELETE", headers: session });
    assert.equal(revoked.status, 204);
    const after_ = await fetch(`${base}/api/v1/auth/me`, { headers: basic("grafana", key.key) });
    assert.equal(after_.status, 401);
    assert.equal(((await after_.json()) as ErrorEnvelope).error.code, "unauthorized");
  });
});
