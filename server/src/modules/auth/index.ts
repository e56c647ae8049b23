import type { Clock } from "#server/platform/clock.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Metrics } from "#server/platform/metrics.ts";
import type { Db } from "#server/storage/database.ts";
import { createApiKeysRepository } from "#server/modules/auth/api-keys.repository.ts";
import { createApiKeysService } from "#server/modules/auth/api-keys.service.ts";
import { createAuthService } from "#server/modules/auth/auth.service.ts";
import { createPasswordHasher, type Argon2Parameters } from "#server/modules/auth/passwords.ts";
import { createSessionsRepository } from "#server/modules/auth/sessions.repository.ts";
import { createAccessTokens, looksLikeJwt } from "#server/modules/auth/tokens.ts";
import { createUsersRepository } from "#server/modules/auth/users.repository.ts";

export type { AuthService, ClientInfo, AuthFailureReason } from "#server/modules/auth/auth.service.ts";
export type { ApiKeysService } from "#server/modules/auth/api-keys.service.ts";
export { looksLikeJwt };
export { loadOrCreateJwtSecret } from "#server/modules/auth/jwt-secret.ts";

export interface AuthModuleDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Pick<Metrics, "auth">;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  argon2: Argon2Parameters;
  onUserRegistered?: () => void;
}

/** Accounts, login sessions and API keys. */
export function createAuthModule(deps: AuthModuleDeps) {
  const users = createUsersRepository(deps.db);
  const sessions = createSessionsRepository(deps.db);
  const apiKeys = createApiKeysRepository(deps.db);
  const auth = createAuthService({
    users,
    sessions,
    hasher: createPasswordHasher(deps.argon2),
    accessTokens: createAccessTokens(deps.jwtSecret, deps.accessTokenTtlSeconds, deps.clock),
    refreshTtlSeconds: deps.refreshTokenTtlSeconds,
    clock: deps.clock,
    metrics: deps.metrics,
    logger: deps.logger,
    ...(deps.onUserRegistered && { onUserRegistered: deps.onUserRegistered }),
  });
  const keys = createApiKeysService({ apiKeys, users, clock: deps.clock, metrics: deps.metrics });
  return { auth, apiKeys: keys };
}

export type AuthModule = ReturnType<typeof createAuthModule>;
