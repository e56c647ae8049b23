import type { ApiKey, ApiKeyScope, CreateApiKeyRequest } from "@auspex/shared/contracts/auth.ts";
import { ApiKeyScope as ApiKeyScopeSchema } from "@auspex/shared/contracts/auth.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { ForbiddenError, NotFoundError, UnauthorizedError } from "#server/platform/errors.ts";
import { newId } from "#server/platform/ids.ts";
import type { Metrics } from "#server/platform/metrics.ts";
import type { ApiKeyRow, ApiKeysRepository } from "#server/modules/auth/api-keys.repository.ts";
import { API_KEY_PREFIX, generateOpaqueToken, hashOpaqueToken } from "#server/modules/auth/tokens.ts";
import type { UsersRepository } from "#server/modules/auth/users.repository.ts";

interface Deps {
  apiKeys: ApiKeysRepository;
  users: UsersRepository;
  clock: Clock;
  metrics: Pick<Metrics, "auth">;
}

const TOUCH_INTERVAL_MS = 60_000;
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

/** Machine credentials: a secret shown once, stored as a hash, limited to scopes. */
export function createApiKeysService({ apiKeys, users, clock, metrics }: Deps) {
  const nowIso = () => clock.now().toISOString();

  return {
    async createApiKey(actor: Actor, input: CreateApiKeyRequest): Promise<ApiKey & { key: string }> {
      if (actor.kind !== "session") throw new ForbiddenError("API keys are managed from a login session, not with another API key");
      const now = clock.now();
      const key = generateOpaqueToken(API_KEY_PREFIX);
      const row: ApiKeyRow = {
        id: newId(),
        user_id: actor.userId,
        name: input.name,
        scopes: JSON.stringify(input.scopes),
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        key_hash: hashOpaqueToken(key),
        created_at: now.toISOString(),
        last_used_at: null,
        expires_at: input.expires_in_days === undefined ? null : new Date(now.getTime() + input.expires_in_days * 86_400_000).toISOString(),
        revoked_at: null,
      };
      await apiKeys.insert(row);
      return { ...presentApiKey(row), key };
    },

    async listApiKeys(actor: Actor): Promise<ApiKey[]> {
      return (await apiKeys.listActiveForUser(actor.userId)).map(presentApiKey);
    },

    async revokeApiKey(actor: Actor, apiKeyId: string): Promise<void> {
      if (!(await apiKeys.revoke(actor.userId, apiKeyId, nowIso()))) throw new NotFoundError("API key", apiKeyId);
    },

    async authenticateApiKey(key: string): Promise<Actor> {
      const row = await apiKeys.findByHash(hashOpaqueToken(key));
      const now = clock.now();
      if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now.toISOString())) {
        metrics.auth.failures.inc({ reason: "invalid_api_key" });
        throw new UnauthorizedError("Invalid API key");
      }
      if (!(await users.findById(row.user_id))) throw new UnauthorizedError("Invalid API key");
      if (row.last_used_at === null || now.getTime() - Date.parse(row.last_used_at) > TOUCH_INTERVAL_MS) {
        await apiKeys.touch(row.user_id, row.id, now.toISOString());
      }
      return { kind: "api_key", userId: row.user_id, apiKeyId: row.id, scopes: parseScopes(row.scopes) };
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;

function parseScopes(json: string): ApiKeyScope[] {
  const parsed: unknown = JSON.parse(json);
  return ApiKeyScopeSchema.array().parse(parsed);
}

function presentApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    scopes: parseScopes(row.scopes),
    prefix: row.prefix,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    expires_at: row.expires_at,
  };
}
