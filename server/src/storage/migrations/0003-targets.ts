import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function targetsMigration(dialect: DialectName) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("targets")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("job", "text", (c) => c.notNull())
        .addColumn("address", "text", (c) => c.notNull())
        .addColumn("scheme", "text", (c) => c.notNull())
        .addColumn("metrics_path", "text", (c) => c.notNull())
        .addColumn("interval_ms", "integer", (c) => c.notNull())
        .addColumn("timeout_ms", "integer", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull())
        // 0/1 on both dialects: one representation for the repository to read.
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("health", "text", (c) => c.notNull())
        .addColumn("last_scrape_at", ts)
        .addColumn("last_scrape_duration_ms", "double precision")
        .addColumn("last_error", "text")
        .addColumn("samples_last_scrape", "integer")
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addUniqueConstraint("targets_user_name_unique", ["user_id", "name"])
        .execute();
    },
  };
}
