import type { Db } from "#server/storage/database.ts";
import type { ApiKeysTable } from "#server/storage/tables/accounts.table.ts";

export type ApiKeyRow = ApiKeysTable;

export function createApiKeysRepository(db: Db) {
  return {
    async insert(row: ApiKeyRow): Promise<void> {
      await db.insertInto("api_keys").values(row).execute();
    },
    listActiveForUser(userId: string): Promise<ApiKeyRow[]> {
      return db
        .selectFrom("api_keys")
        .selectAll()
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .orderBy("created_at", "desc")
        .execute();
    },
    findByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
      return db.selectFrom("api_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst();
    },
    async touch(userId: string, apiKeyId: string, now: string): Promise<void> {
      await db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", apiKeyId).where("user_id", "=", userId).execute();
    },
    async revoke(userId: string, apiKeyId: string, now: string): Promise<boolean> {
      const result = await db
        .updateTable("api_keys")
        .set({ revoked_at: now })
        .where("id", "=", apiKeyId)
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
