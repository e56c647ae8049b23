import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function anomaliesMigration(dialect: DialectName) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("anomalies")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("series_key", "text", (c) => c.notNull())
        .addColumn("metric", "text", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("instance", "text")
        .addColumn("job", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("started_at", ts, (c) => c.notNull())
        .addColumn("ended_at", ts)
        .addColumn("peak_score", "double precision", (c) => c.notNull())
        .addColumn("peak_at", ts, (c) => c.notNull())
        .addColumn("observed", "double precision", (c) => c.notNull())
        .addColumn("expected", "double precision", (c) => c.notNull())
        .addColumn("lower", "double precision", (c) => c.notNull())
        .addColumn("upper", "double precision", (c) => c.notNull())
        .addColumn("direction", "text", (c) => c.notNull())
        .addColumn("summary", "text", (c) => c.notNull())
        .addColumn("votes", "text", (c) => c.notNull())
        .addColumn("contributors", "text", (c) => c.notNull())
        .addColumn("feedback_verdict", "text")
        .addColumn("feedback_note", "text")
        .addColumn("feedback_at", ts)
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("anomalies_user_started_idx").on("anomalies").columns(["user_id", "started_at"]).execute();
      await db.schema.createIndex("anomalies_user_series_idx").on("anomalies").columns(["user_id", "series_key", "status"]).execute();
    },
  };
}
