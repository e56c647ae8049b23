import type {
  ChangePasswordRequest,
  LoginRequest,
  RegisterRequest,
  Session,
  TokenResponse,
  UpdateMeRequest,
  User,
} from "@auspex/shared/contracts/auth.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { ConflictError, NotFoundError, ServiceError, UnauthorizedError, ValidationError } from "#server/platform/errors.ts";
import { newId } from "#server/platform/ids.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";
import { isCommonPassword, type PasswordHasher } from "#server/modules/auth/passwords.ts";
import type { SessionRow, SessionsRepository } from "#server/modules/auth/sessions.repository.ts";
import { REFRESH_TOKEN_PREFIX, generateOpaqueToken, hashOpaqueToken, type AccessTokens } from "#server/modules/auth/tokens.ts";
import { describeDevice } from "#server/modules/auth/user-agent.ts";
import type { UserRow, UsersRepository } from "#server/modules/auth/users.repository.ts";

/** Where a request came from; recorded on the session it creates. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export type AuthFailureReason =
  | "missing_credentials"
  | "malformed_credentials"
  | "invalid_token"
  | "expired_token"
  | "revoked_session"
  | "invalid_api_key"
  | "bad_credentials"
  | "refresh_token_invalid"
  | "refresh_token_reuse"
  | "insufficient_scope"
  | "rate_limited";

interface Deps {
  users: UsersRepository;
  sessions: SessionsRepository;
  hasher: PasswordHasher;
  accessTokens: AccessTokens;
  refreshTtlSeconds: number;
  clock: Clock;
  metrics: Pick<Metrics, "auth">;
  logger: Logger;
  /** Told after an account is created (the first one becomes the instance owner). */
  onUserRegistered?: () => void;
}

/** Session activity is written at most this often, so authenticated reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000;
const GENERIC_LOGIN_FAILURE = "Invalid username or password";

export function createAuthService(deps: Deps) {
  const { users, sessions, hasher, accessTokens, clock, metrics, logger } = deps;
  const nowIso = () => clock.now().toISOString();
  const inSeconds = (seconds: number) => new Date(clock.now().getTime() + seconds * 1000).toISOString();

  const fail = (reason: AuthFailureReason, message: string): never => {
    metrics.auth.failures.inc({ reason });
    throw new UnauthorizedError(message);
  };

  const assertPasswordAcceptable = (password: string, field: string, user: { username: string; email: string }) => {
    if (isCommonPassword(password)) {
      throw new ValidationError([{ field, problem: "is among the most common passwords; choose another" }]);
    }
    const lowered = password.toLowerCase();
    if (lowered === user.username || lowered === user.email) {
      throw new ValidationError([{ field, problem: "must not be the username or email address" }]);
    }
  };

  async function startSession(user: UserRow, client: ClientInfo): Promise<TokenResponse> {
    const now = nowIso();
    const sessionId = newId();
    const refreshToken = generateOpaqueToken(REFRESH_TOKEN_PREFIX);
    const device = describeDevice(client.userAgent);
    const expiresAt = inSeconds(deps.refreshTtlSeconds);
    await sessions.insertWithToken(
      {
        id: sessionId,
        user_id: user.id,
        created_at: now,
        last_active_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        revoked_reason: null,
        ...device,
        ip: client.ip,
        user_agent: client.userAgent?.slice(0, 512) ?? null,
      },
      { id: newId(), session_id: sessionId, user_id: user.id, token_hash: hashOpaqueToken(refreshToken), created_at: now, expires_at: expiresAt, used_at: null },
    );
    metrics.auth.sessionsCreated.inc();
    return issueTokens(user, sessionId, refreshToken);
  }

  function issueTokens(user: UserRow, sessionId: string, refreshToken: string): TokenResponse {
    return {
      user: presentUser(user),
      access_token: accessTokens.sign({ userId: user.id, sessionId }),
      refresh_token: refreshToken,
      token_type: "Bearer",
      expires_in: accessTokens.ttlSeconds,
      session_id: sessionId,
    };
  }

  async function requireUser(actor: Actor): Promise<UserRow> {
    const user = await users.findById(actor.userId);
    if (!user) throw new UnauthorizedError("The account no longer exists");
    return user;
  }

  return {
    /**
     * The user who owns the instance's own data (host metrics, self-monitoring): the account named
     * `username` when configured, else the first account registered; undefined before there is one.
     */
    async findInstanceOwner(username: string | undefined): Promise<{ id: string; username: string } | undefined> {
      const user = username === undefined ? await users.findFirst() : await users.findByLogin(username);
      return user === undefined ? undefined : { id: user.id, username: user.username };
    },

    async registerUser(input: RegisterRequest, client: ClientInfo): Promise<TokenResponse> {
      const email = input.email.toLowerCase();
      assertPasswordAcceptable(input.password, "body.password", { username: input.username, email });
      if (await users.isTaken("username", input.username)) {
        throw new ConflictError(`Username '${input.username}' is taken`, [{ field: "body.username", problem: "is taken" }]);
      }
      if (await users.isTaken("email", email)) {
        throw new ConflictError("An account with this email address exists", [{ field: "body.email", problem: "is already registered" }]);
      }
      const now = nowIso();
      const user: UserRow = {
        id: newId(),
        username: input.username,
        email,
        password_hash: await hasher.hashPassword(input.password),
        display_name: input.display_name ?? null,
        time_zone: input.time_zone ?? "UTC",
        created_at: now,
        updated_at: now,
      };
      try {
        await users.insert(user);
      } catch (error) {
        // Two registrations raced for the same name: the unique index decided.
        if (/unique|duplicate/i.test(String((error as Error).message))) throw new ConflictError("Username or email is taken");
        throw error;
      }
      logger.info({ user_id: user.id }, "user registered");
      deps.onUserRegistered?.();
      return startSession(user, client);
    },

    async login(input: LoginRequest, client: ClientInfo): Promise<TokenResponse> {
      const user = await users.findByLogin(input.username);
      if (!user) {
        await hasher.burnVerification(input.password);
        return fail("bad_credentials", GENERIC_LOGIN_FAILURE);
      }
      if (!(await hasher.verifyPassword(user.password_hash, input.password))) return fail("bad_credentials", GENERIC_LOGIN_FAILURE);
      return startSession(user, client);
    },

    async refreshSession(refreshToken: string): Promise<TokenResponse> {
      const now = nowIso();
      const stored = await sessions.findRefreshToken(hashOpaqueToken(refreshToken));
      if (!stored) return fail("refresh_token_invalid", "Invalid refresh token");
      const session = await sessions.findForUser(stored.user_id, stored.session_id);
      if (!session || session.revoked_at !== null || session.expires_at <= now || stored.expires_at <= now) {
        return fail("refresh_token_invalid", "The session has ended; log in again");
      }
      const user = await users.findById(stored.user_id);
      if (!user) return fail("refresh_token_invalid", "The account no longer exists");

      const nextToken = generateOpaqueToken(REFRESH_TOKEN_PREFIX);
      const expiresAt = inSeconds(deps.refreshTtlSeconds);
      const rotated =
        stored.used_at === null &&
        (await sessions.rotateRefreshToken(
          stored,
          { id: newId(), session_id: stored.session_id, user_id: stored.user_id, token_hash: hashOpaqueToken(nextToken), created_at: now, expires_at: expiresAt, used_at: null },
          now,
          expiresAt,
        ));
      if (!rotated) {
        // A rotated token came back: someone holds a copy. End the session for both holders.
        await sessions.revoke(stored.user_id, stored.session_id, now, "refresh_token_reuse");
        logger.warn({ user_id: stored.user_id, session_id: stored.session_id }, "refresh token reused; session revoked");
        return fail("refresh_token_reuse", "Refresh token was already used; the session has been revoked");
      }
      return issueTokens(user, stored.session_id, nextToken);
    },

    async logout(actor: Actor): Promise<void> {
      if (actor.kind !== "session") throw new ServiceError("forbidden", "Only a login session can log out");
      await sessions.revoke(actor.userId, actor.sessionId, nowIso(), "logout");
    },

    /** Resolves an access token to its actor; a revoked or expired session fails at once. */
    async authenticateAccessToken(token: string): Promise<Actor> {
      const check = accessTokens.verify(token);
      if (!check.ok) return fail(check.reason, check.reason === "expired_token" ? "Access token expired" : "Invalid access token");
      const { userId, sessionId } = check.claims;
      const session = await sessions.findForUser(userId, sessionId);
      const now = clock.now();
      if (!session || session.revoked_at !== null || session.expires_at <= now.toISOString()) {
        return fail("revoked_session", "The session has ended; log in again");
      }
      if (now.getTime() - Date.parse(session.last_active_at) > TOUCH_INTERVAL_MS) {
        await sessions.touch(userId, sessionId, now.toISOString());
      }
      return { kind: "session", userId, sessionId };
    },

    recordAuthFailure(reason: AuthFailureReason): void {
      metrics.auth.failures.inc({ reason });
    },

    async getMe(actor: Actor): Promise<User> {
      return presentUser(await requireUser(actor));
    },

    async updateMe(actor: Actor, input: UpdateMeRequest): Promise<User> {
      const user = await requireUser(actor);
      const changes: Partial<UserRow> = {};
      if (input.email !== undefined) {
        const email = input.email.toLowerCase();
        if (email !== user.email && (await users.isTaken("email", email, user.id))) {
          throw new ConflictError("An account with this email address exists", [{ field: "body.email", problem: "is already registered" }]);
        }
        changes.email = email;
      }
      if (input.display_name !== undefined) changes.display_name = input.display_name;
      if (input.time_zone !== undefined) changes.time_zone = input.time_zone;
      if (Object.keys(changes).length > 0) await users.update(user.id, { ...changes, updated_at: nowIso() });
      return presentUser({ ...user, ...changes });
    },

    /** Changes the password and ends every other session of the user. */
    async changePassword(actor: Actor, input: ChangePasswordRequest): Promise<{ revoked: number }> {
      const user = await requireUser(actor);
      if (!(await hasher.verifyPassword(user.password_hash, input.current_password))) {
        metrics.auth.failures.inc({ reason: "bad_credentials" });
        throw new ValidationError([{ field: "body.current_password", problem: "is not the current password" }]);
      }
      assertPasswordAcceptable(input.new_password, "body.new_password", user);
      const now = nowIso();
      await users.update(user.id, { password_hash: await hasher.hashPassword(input.new_password), updated_at: now });
      const keep = actor.kind === "session" ? actor.sessionId : null;
      const revoked = await sessions.revokeAllExcept(user.id, keep, now, "password_changed");
      logger.info({ user_id: user.id, revoked }, "password changed");
      return { revoked };
    },

    async listSessions(actor: Actor): Promise<Session[]> {
      const rows = await sessions.listActiveForUser(actor.userId, nowIso());
      const current = actor.kind === "session" ? actor.sessionId : null;
      return rows.map((row) => presentSession(row, current));
    },

    async revokeSession(actor: Actor, sessionId: string): Promise<void> {
      if (actor.kind === "session" && actor.sessionId === sessionId) {
        throw new ConflictError("This is the current session; end it with POST /api/v1/auth/logout");
      }
      if (!(await sessions.revoke(actor.userId, sessionId, nowIso(), "revoked_by_user"))) throw new NotFoundError("Session", sessionId);
    },

    async revokeOtherSessions(actor: Actor): Promise<{ revoked: number }> {
      const keep = actor.kind === "session" ? actor.sessionId : null;
      return { revoked: await sessions.revokeAllExcept(actor.userId, keep, nowIso(), "revoked_by_user") };
    },

    countActiveSessions(): Promise<number> {
      return sessions.countActive(nowIso());
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

function presentUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    display_name: row.display_name,
    time_zone: row.time_zone,
    created_at: row.created_at,
  };
}

function presentSession(row: SessionRow, currentSessionId: string | null): Session {
  return {
    id: row.id,
    device_type: row.device_type,
    browser: row.browser,
    browser_version: row.browser_version,
    os: row.os,
    ip: row.ip,
    created_at: row.created_at,
    last_active_at: row.last_active_at,
    expires_at: row.expires_at,
    current: row.id === currentSessionId,
  };
}
