import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function aiUsageMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("ai_usage")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("purpose", "text", (c) => c.notNull())
        .addColumn("provider", "text", (c) => c.notNull())
        .addColumn("model", "text", (c) => c.notNull())
        .addColumn("prompt_tokens", "integer", (c) => c.notNull())
        .addColumn("completion_tokens", "integer", (c) => c.notNull())
        .addColumn("estimated", "integer", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("created_at", timestampType(dialect), (c) => c.notNull())
        .execute();
      await db.schema.createIndex("ai_usage_user_created_idx").on("ai_usage").columns(["user_id", "created_at"]).execute();
    },
  };
}
