import type { Db } from "#server/storage/database.ts";
import type { RuleFilesTable } from "#server/storage/tables/rules.table.ts";

export type RuleFileRow = RuleFilesTable;

/** Users' rule files. Every query names the user; only listUsersWithRules spans users (for the scheduler). */
export function createRulesRepository(db: Db) {
  return {
    async listFiles(userId: string): Promise<RuleFileRow[]> {
      return db.selectFrom("rule_files").selectAll().where("user_id", "=", userId).orderBy("name").execute();
    },

    async getFile(userId: string, name: string): Promise<RuleFileRow | undefined> {
      return db.selectFrom("rule_files").selectAll().where("user_id", "=", userId).where("name", "=", name).executeTakeFirst();
    },

    /** Creates or replaces the named file of the user. */
    async putFile(userId: string, name: string, content: string, now: string): Promise<void> {
      await db
        .insertInto("rule_files")
        .values({ user_id: userId, name, content, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(["user_id", "name"]).doUpdateSet({ content, updated_at: now }))
        .execute();
    },

    /** Removes the user's files whose name starts with `prefix` (one file when it is a full name); returns how many. */
    async deleteFiles(userId: string, prefix: string): Promise<number> {
      const rows = await db.selectFrom("rule_files").select("name").where("user_id", "=", userId).execute();
      const names = rows.map((r) => r.name).filter((n) => n.startsWith(prefix));
      if (names.length === 0) return 0;
      await db.deleteFrom("rule_files").where("user_id", "=", userId).where("name", "in", names).execute();
      return names.length;
    },

    /** Ids of users with at least one rule file. */
    async listUsersWithRules(): Promise<string[]> {
      const rows = await db.selectFrom("rule_files").select("user_id").distinct().orderBy("user_id").execute();
      return rows.map((r) => r.user_id);
    },
  };
}

export type RulesRepository = ReturnType<typeof createRulesRepository>;
