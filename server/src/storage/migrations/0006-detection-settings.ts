import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function detectionSettingsMigration(dialect: DialectName) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("detection_settings")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
        .addColumn("settings", "text", (c) => c.notNull())
        .addColumn("updated_at", timestampType(dialect), (c) => c.notNull())
        .execute();
    },
  };
}
