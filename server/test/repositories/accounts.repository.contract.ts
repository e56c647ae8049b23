/*
 * The behaviour every dialect must give the account repositories (users,
 * sessions + refresh tokens, API keys). Run by
 * accounts.repository.sqlite.test.ts (unit suite) and
 * server/e2e/accounts.repository.postgres.e2e.test.ts (real PostgreSQL).
 *
 * The database is shared by the tests of one run, so every test creates its own
 * users with unique names and only asserts on rows it created (or on deltas).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createApiKeysRepository, type ApiKeyRow } from "#server/modules/auth/api-keys.repository.ts";
import { createSessionsRepository, type RefreshTokenRow, type SessionRow } from "#server/modules/auth/sessions.repository.ts";
import { createUsersRepository, type UserRow } from "#server/modules/auth/users.repository.ts";
import { newId } from "#server/platform/ids.ts";
import type { Database } from "#server/storage/database.ts";

const T0 = Date.parse("2026-03-01T12:00:00.000Z");
/** An ISO timestamp `seconds` after T0 (millisecond precision, like the services write). */
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
const NOW = at(0);
const DAY = 86_400;

let sequence = 0;
const uniqueName = (prefix: string): string => `${prefix}_${process.pid.toString(36)}_${Date.now().toString(36)}_${(++sequence).toString(36)}`;
const randomHash = (): string => randomBytes(32).toString("hex");

function userRow(overrides: Partial<UserRow> = {}): UserRow {
  const username = overrides.username ?? uniqueName("user");
  return {
    id: newId(),
    username,
    email: `${username}@example.com`,
    password_hash: "$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
    display_name: null,
    time_zone: "UTC",
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

function sessionRow(userId: string, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id: newId(),
    user_id: userId,
    created_at: at(-60),
    last_active_at: at(-60),
    expires_at: at(30 * DAY),
    revoked_at: null,
    revoked_reason: null,
    device_type: "desktop",
    browser: "Firefox",
    browser_version: "140.0",
    os: "Linux",
    ip: "192.0.2.10",
    user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    ...overrides,
  };
}

function tokenRow(session: SessionRow, overrides: Partial<RefreshTokenRow> = {}): RefreshTokenRow {
  return {
    id: newId(),
    session_id: session.id,
    user_id: session.user_id,
    token_hash: randomHash(),
    created_at: session.created_at,
    expires_at: session.expires_at,
    used_at: null,
    ...overrides,
  };
}

function apiKeyRow(userId: string, overrides: Partial<ApiKeyRow> = {}): ApiKeyRow {
  return {
    id: newId(),
    user_id: userId,
    name: "prometheus remote_write",
    scopes: JSON.stringify(["ingest"]),
    prefix: "auk_abcdefgh",
    key_hash: randomHash(),
    created_at: NOW,
    last_used_at: null,
    expires_at: null,
    revoked_at: null,
    ...overrides,
  };
}

/** Rows as plain objects: node:sqlite returns null-prototype rows, pg plain ones; only the values matter. */
function plain<T extends object>(row: T | undefined): T | undefined {
  return row === undefined ? undefined : { ...row };
}
const plainAll = <T extends object>(rows: readonly T[]): T[] => rows.map((row) => ({ ...row }));

/** The database rejects the write for a unique constraint, in words auth.service recognises (/unique|duplicate/i). */
async function assertUniqueViolation(write: () => Promise<unknown>): Promise<void> {
  await assert.rejects(write, (error: Error) => {
    assert.match(String(error.message), /unique|duplicate/i);
    return true;
  });
}

export function describeAccountsRepositoryContract(dialectLabel: string, openDb: () => Promise<Database>): void {
  describe(`account repositories contract (${dialectLabel})`, () => {
    let database: Database;
    let users: ReturnType<typeof createUsersRepository>;
    let sessions: ReturnType<typeof createSessionsRepository>;
    let apiKeys: ReturnType<typeof createApiKeysRepository>;

    before(async () => {
      database = await openDb();
      users = createUsersRepository(database.db);
      sessions = createSessionsRepository(database.db);
      apiKeys = createApiKeysRepository(database.db);
    });
    after(async () => {
      await database?.close();
    });

    async function newUser(overrides: Partial<UserRow> = {}): Promise<UserRow> {
      const row = userRow(overrides);
      await users.insert(row);
      return row;
    }

    async function newSession(userId: string, overrides: Partial<SessionRow> = {}): Promise<{ session: SessionRow; token: RefreshTokenRow }> {
      const session = sessionRow(userId, overrides);
      const token = tokenRow(session);
      await sessions.insertWithToken(session, token);
      return { session, token };
    }

    it("opens the database with migrations applied and answers a ping", async () => {
      await database.ping();
      assert.ok(["sqlite", "postgres"].includes(database.dialect));
    });

    describe("users", () => {
      it("round-trips a user row unchanged (timestamps stay ISO-8601 strings)", async () => {
        const user = await newUser({ display_name: "Ada Lovelace", time_zone: "Asia/Kolkata", created_at: "2026-03-01T12:34:56.789Z", updated_at: "2026-03-02T01:02:03.004Z" });
        assert.deepEqual(plain(await users.findById(user.id)), user);
      });

      it("returns undefined for an unknown id or login", async () => {
        assert.equal(await users.findById(newId()), undefined);
        assert.equal(await users.findByLogin(uniqueName("nobody")), undefined);
        assert.equal(await users.findByLogin(`${uniqueName("nobody")}@example.com`), undefined);
      });

      it("finds by username or email, ignoring the case of the login", async () => {
        const user = await newUser();
        assert.equal((await users.findByLogin(user.username))?.id, user.id);
        assert.equal((await users.findByLogin(user.username.toUpperCase()))?.id, user.id);
        assert.equal((await users.findByLogin(user.email))?.id, user.id);
        assert.equal((await users.findByLogin(user.email.toUpperCase()))?.id, user.id);
      });

      it("reports taken usernames and emails, except for the given user", async () => {
        const user = await newUser();
        const other = await newUser();
        assert.equal(await users.isTaken("username", user.username), true);
        assert.equal(await users.isTaken("email", user.email), true);
        assert.equal(await users.isTaken("username", uniqueName("free")), false);
        assert.equal(await users.isTaken("email", `${uniqueName("free")}@example.com`), false);
        assert.equal(await users.isTaken("email", user.email, user.id), false);
        assert.equal(await users.isTaken("email", user.email, other.id), true);
        assert.equal(await users.isTaken("username", user.username, other.id), true);
      });

      it("updates only the given user", async () => {
        const user = await newUser();
        const other = await newUser();
        await users.update(user.id, { display_name: "Grace", time_zone: "Europe/Paris", email: `${uniqueName("new")}@example.com`, updated_at: at(60) });
        const updated = await users.findById(user.id);
        assert.equal(updated?.display_name, "Grace");
        assert.equal(updated?.time_zone, "Europe/Paris");
        assert.equal(updated?.updated_at, at(60));
        assert.equal(updated?.created_at, user.created_at);
        assert.deepEqual(plain(await users.findById(other.id)), other);
      });

      it("rejects a duplicate username at the database", async () => {
        const user = await newUser();
        await assertUniqueViolation(() => users.insert(userRow({ username: user.username, email: `${uniqueName("other")}@example.com` })));
      });

      it("rejects a duplicate email at the database", async () => {
        const user = await newUser();
        await assertUniqueViolation(() => users.insert(userRow({ email: user.email })));
      });

      it("rejects changing an email to another user's", async () => {
        const user = await newUser();
        const other = await newUser();
        await assertUniqueViolation(() => users.update(other.id, { email: user.email }));
        assert.equal((await users.findById(other.id))?.email, other.email);
      });

      it("deleting a user cascades to its sessions, refresh tokens and API keys", async () => {
        const user = await newUser();
        const { session, token } = await newSession(user.id);
        const key = apiKeyRow(user.id);
        await apiKeys.insert(key);
        await database.db.deleteFrom("users").where("id", "=", user.id).execute();
        assert.equal(await sessions.findForUser(user.id, session.id), undefined);
        assert.equal(await sessions.findRefreshToken(token.token_hash), undefined);
        assert.equal(await apiKeys.findByHash(key.key_hash), undefined);
      });
    });

    describe("sessions", () => {
      it("stores a session with its first refresh token", async () => {
        const user = await newUser();
        const { session, token } = await newSession(user.id);
        assert.deepEqual(plain(await sessions.findForUser(user.id, session.id)), session);
        assert.deepEqual(plain(await sessions.findRefreshToken(token.token_hash)), token);
        assert.equal(await sessions.findRefreshToken(randomHash()), undefined);
      });

      it("never finds a session through another user's id", async () => {
        const user = await newUser();
        const other = await newUser();
        const { session } = await newSession(user.id);
        assert.equal(await sessions.findForUser(other.id, session.id), undefined);
        assert.equal(await sessions.findForUser(user.id, newId()), undefined);
      });

      it("inserts session and token atomically: a failing token insert leaves no session", async () => {
        const user = await newUser();
        const { token: existing } = await newSession(user.id);
        const session = sessionRow(user.id);
        await assertUniqueViolation(() => sessions.insertWithToken(session, tokenRow(session, { token_hash: existing.token_hash })));
        assert.equal(await sessions.findForUser(user.id, session.id), undefined);
      });

      it("rejects a session of a user that does not exist", async () => {
        const session = sessionRow(newId());
        await assert.rejects(() => sessions.insertWithToken(session, tokenRow(session)), /foreign key/i);
      });

      it("lists only the user's active sessions, most recently active first", async () => {
        const user = await newUser();
        const other = await newUser();
        const { session: older } = await newSession(user.id, { last_active_at: at(-3600) });
        const { session: newer } = await newSession(user.id, { last_active_at: at(-10) });
        const { session: revoked } = await newSession(user.id);
        assert.equal(await sessions.revoke(user.id, revoked.id, NOW, "logout"), true);
        await newSession(user.id, { expires_at: at(-1) }); // expired
        await newSession(user.id, { expires_at: NOW }); // expires exactly now: no longer active
        await newSession(other.id);

        const listed = await sessions.listActiveForUser(user.id, NOW);
        assert.deepEqual(
          listed.map((s) => s.id),
          [newer.id, older.id],
        );
        assert.deepEqual(plain(listed[0]), newer);
        assert.deepEqual(await sessions.listActiveForUser(newId(), NOW), []);
      });

      it("counts active sessions across users, excluding revoked and expired ones", async () => {
        const before = await sessions.countActive(NOW);
        const laterBefore = await sessions.countActive(at(31 * DAY));
        assert.equal(typeof before, "number");
        const user = await newUser();
        const other = await newUser();
        await newSession(user.id);
        await newSession(other.id);
        const { session: revoked } = await newSession(user.id);
        await sessions.revoke(user.id, revoked.id, NOW, "logout");
        await newSession(other.id, { expires_at: at(-1) });
        assert.equal(await sessions.countActive(NOW), before + 2);
        // A day after their 30-day lifetime, these sessions no longer count.
        assert.equal(await sessions.countActive(at(31 * DAY)), laterBefore);
      });

      it("touches last activity only through the owner", async () => {
        const user = await newUser();
        const other = await newUser();
        const { session } = await newSession(user.id);
        await sessions.touch(other.id, session.id, at(120));
        assert.equal((await sessions.findForUser(user.id, session.id))?.last_active_at, session.last_active_at);
        await sessions.touch(user.id, session.id, at(120));
        assert.equal((await sessions.findForUser(user.id, session.id))?.last_active_at, at(120));
      });

      it("revokes an active session once, and only for its owner", async () => {
        const user = await newUser();
        const other = await newUser();
        const { session } = await newSession(user.id);
        assert.equal(await sessions.revoke(other.id, session.id, NOW, "revoked_by_user"), false);
        assert.equal((await sessions.findForUser(user.id, session.id))?.revoked_at, null);

        assert.equal(await sessions.revoke(user.id, session.id, NOW, "revoked_by_user"), true);
        const revoked = await sessions.findForUser(user.id, session.id);
        assert.equal(revoked?.revoked_at, NOW);
        assert.equal(revoked?.revoked_reason, "revoked_by_user");

        assert.equal(await sessions.revoke(user.id, session.id, at(10), "logout"), false);
        const unchanged = await sessions.findForUser(user.id, session.id);
        assert.equal(unchanged?.revoked_at, NOW);
        assert.equal(unchanged?.revoked_reason, "revoked_by_user");
        assert.equal(await sessions.revoke(user.id, newId(), NOW, "logout"), false);
      });

      it("does not revoke a session that has already expired", async () => {
        const user = await newUser();
        const { session: expired } = await newSession(user.id, { expires_at: at(-1) });
        const { session: endingNow } = await newSession(user.id, { expires_at: NOW });
        assert.equal(await sessions.revoke(user.id, expired.id, NOW, "revoked_by_user"), false);
        assert.equal(await sessions.revoke(user.id, endingNow.id, NOW, "revoked_by_user"), false);
        assert.equal((await sessions.findForUser(user.id, expired.id))?.revoked_at, null);
        assert.equal((await sessions.findForUser(user.id, endingNow.id))?.revoked_at, null);
      });

      it("revokeAllExcept revokes the user's other active sessions and counts them", async () => {
        const user = await newUser();
        const other = await newUser();
        const { session: keep } = await newSession(user.id);
        const { session: a } = await newSession(user.id);
        const { session: b } = await newSession(user.id);
        const { session: alreadyRevoked } = await newSession(user.id);
        await sessions.revoke(user.id, alreadyRevoked.id, at(-5), "logout");
        const { session: othersSession } = await newSession(other.id);

        assert.equal(await sessions.revokeAllExcept(user.id, keep.id, NOW, "password_changed"), 2);
        assert.deepEqual(
          (await sessions.listActiveForUser(user.id, NOW)).map((s) => s.id),
          [keep.id],
        );
        for (const id of [a.id, b.id]) assert.equal((await sessions.findForUser(user.id, id))?.revoked_reason, "password_changed");
        const untouched = await sessions.findForUser(user.id, alreadyRevoked.id);
        assert.equal(untouched?.revoked_at, at(-5));
        assert.equal(untouched?.revoked_reason, "logout");
        assert.equal((await sessions.findForUser(other.id, othersSession.id))?.revoked_at, null);

        // With no session to keep, every remaining one goes; a second call finds nothing.
        assert.equal(await sessions.revokeAllExcept(user.id, null, at(1), "revoked_by_user"), 1);
        assert.equal(await sessions.revokeAllExcept(user.id, null, at(2), "revoked_by_user"), 0);
        assert.deepEqual(await sessions.listActiveForUser(user.id, NOW), []);
        assert.equal((await sessions.findForUser(other.id, othersSession.id))?.revoked_at, null);
      });

      it("revokeAllExcept leaves expired sessions out of its count", async () => {
        const user = await newUser();
        await newSession(user.id, { expires_at: at(-1) });
        const { session: live } = await newSession(user.id);
        assert.equal(await sessions.revokeAllExcept(user.id, null, NOW, "revoked_by_user"), 1);
        assert.equal((await sessions.findForUser(user.id, live.id))?.revoked_reason, "revoked_by_user");
      });

      it("revokeAllExcept with another user's id revokes nothing", async () => {
        const user = await newUser();
        const other = await newUser();
        const { session } = await newSession(user.id);
        assert.equal(await sessions.revokeAllExcept(other.id, null, NOW, "revoked_by_user"), 0);
        assert.equal((await sessions.findForUser(user.id, session.id))?.revoked_at, null);
      });
    });

    describe("refresh token rotation", () => {
      it("marks the token used, stores its successor and extends the session", async () => {
        const user = await newUser();
        const { session, token } = await newSession(user.id);
        const next = tokenRow(session, { created_at: at(60), expires_at: at(60 + 30 * DAY) });

        assert.equal(await sessions.rotateRefreshToken(token, next, at(60), at(60 + 30 * DAY)), true);
        assert.equal((await sessions.findRefreshToken(token.token_hash))?.used_at, at(60));
        assert.deepEqual(plain(await sessions.findRefreshToken(next.token_hash)), next);
        const extended = await sessions.findForUser(user.id, session.id);
        assert.equal(extended?.last_active_at, at(60));
        assert.equal(extended?.expires_at, at(60 + 30 * DAY));
        assert.equal(extended?.created_at, session.created_at);
      });

      it("a second rotation of the same token returns false and stores nothing", async () => {
        const user = await newUser();
        const { session, token } = await newSession(user.id);
        const first = tokenRow(session);
        const second = tokenRow(session);
        assert.equal(await sessions.rotateRefreshToken(token, first, at(60), at(60 + DAY)), true);
        assert.equal(await sessions.rotateRefreshToken(token, second, at(120), at(120 + DAY)), false);
        assert.equal(await sessions.findRefreshToken(second.token_hash), undefined);
        assert.equal((await sessions.findRefreshToken(token.token_hash))?.used_at, at(60));
        assert.equal((await sessions.findForUser(user.id, session.id))?.expires_at, at(60 + DAY));
        // The successor still rotates normally.
        assert.equal(await sessions.rotateRefreshToken(first, second, at(180), at(180 + DAY)), true);
      });

      it("of two concurrent rotations of one token, exactly one wins", async () => {
        const user = await newUser();
        const { session, token } = await newSession(user.id);
        const a = tokenRow(session);
        const b = tokenRow(session);
        const results = await Promise.all([sessions.rotateRefreshToken(token, a, at(60), at(DAY)), sessions.rotateRefreshToken(token, b, at(61), at(DAY))]);
        assert.deepEqual(results.toSorted(), [false, true]);
        const stored = [await sessions.findRefreshToken(a.token_hash), await sessions.findRefreshToken(b.token_hash)].filter((t) => t !== undefined);
        assert.equal(stored.length, 1);
      });

      it("never rotates through another user's id", async () => {
        const user = await newUser();
        const other = await newUser();
        const { session, token } = await newSession(user.id);
        const forged = { ...token, user_id: other.id };
        const next = tokenRow(session, { user_id: other.id });
        assert.equal(await sessions.rotateRefreshToken(forged, next, at(60), at(DAY)), false);
        assert.equal((await sessions.findRefreshToken(token.token_hash))?.used_at, null);
        assert.equal(await sessions.findRefreshToken(next.token_hash), undefined);
        assert.equal((await sessions.findForUser(user.id, session.id))?.last_active_at, session.last_active_at);
      });
    });

    describe("api keys", () => {
      it("stores a key and finds it by hash", async () => {
        const user = await newUser();
        const key = apiKeyRow(user.id, { scopes: JSON.stringify(["read", "ingest"]), expires_at: at(90 * DAY) });
        await apiKeys.insert(key);
        assert.deepEqual(plain(await apiKeys.findByHash(key.key_hash)), key);
        assert.equal(await apiKeys.findByHash(randomHash()), undefined);
      });

      it("lists only the user's unrevoked keys, newest first", async () => {
        const user = await newUser();
        const other = await newUser();
        const old = apiKeyRow(user.id, { name: "old", created_at: at(-DAY) });
        const recent = apiKeyRow(user.id, { name: "recent", created_at: at(-60) });
        const revoked = apiKeyRow(user.id, { name: "revoked", created_at: at(-30) });
        for (const row of [old, recent, revoked, apiKeyRow(other.id)]) await apiKeys.insert(row);
        assert.equal(await apiKeys.revoke(user.id, revoked.id, NOW), true);
        assert.deepEqual(plainAll(await apiKeys.listActiveForUser(user.id)), [recent, old]);
        assert.deepEqual(await apiKeys.listActiveForUser(newId()), []);
      });

      it("touches last use only through the owner", async () => {
        const user = await newUser();
        const other = await newUser();
        const key = apiKeyRow(user.id);
        await apiKeys.insert(key);
        await apiKeys.touch(other.id, key.id, at(30));
        assert.equal((await apiKeys.findByHash(key.key_hash))?.last_used_at, null);
        await apiKeys.touch(user.id, key.id, at(30));
        assert.equal((await apiKeys.findByHash(key.key_hash))?.last_used_at, at(30));
      });

      it("revokes a key once, and only for its owner", async () => {
        const user = await newUser();
        const other = await newUser();
        const key = apiKeyRow(user.id);
        await apiKeys.insert(key);
        assert.equal(await apiKeys.revoke(other.id, key.id, NOW), false);
        assert.equal((await apiKeys.findByHash(key.key_hash))?.revoked_at, null);
        assert.equal(await apiKeys.revoke(user.id, key.id, NOW), true);
        assert.equal((await apiKeys.findByHash(key.key_hash))?.revoked_at, NOW);
        assert.equal(await apiKeys.revoke(user.id, key.id, at(10)), false);
        assert.equal((await apiKeys.findByHash(key.key_hash))?.revoked_at, NOW);
        assert.equal(await apiKeys.revoke(user.id, newId(), NOW), false);
      });

      it("rejects a duplicate key hash at the database", async () => {
        const user = await newUser();
        const key = apiKeyRow(user.id);
        await apiKeys.insert(key);
        await assertUniqueViolation(() => apiKeys.insert(apiKeyRow(user.id, { key_hash: key.key_hash })));
      });
    });
  });
}
