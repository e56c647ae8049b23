import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function alertingMigration(dialect: DialectName) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("alerting_configs")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("alerts")
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("fingerprint", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("source_key", "text", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("annotations", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("starts_at", ts, (c) => c.notNull())
        .addColumn("ends_at", ts)
        .addColumn("value", "double precision")
        .addColumn("generator_url", "text")
        .addColumn("incident", "text")
        .addColumn("acknowledged_at", ts)
        .addColumn("acknowledged_note", "text")
        .addColumn("last_firing_notice_at", ts)
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addPrimaryKeyConstraint("alerts_pk", ["user_id", "fingerprint"])
        .execute();
      await db.schema
        .createTable("alert_groups")
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("group_key", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("members", "text", (c) => c.notNull())
        .addColumn("next_flush_at", ts, (c) => c.notNull())
        .addPrimaryKeyConstraint("alert_groups_pk", ["user_id", "group_key"])
        .execute();
      await db.schema
        .createTable("alert_history")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("at", ts, (c) => c.notNull())
        .addColumn("fingerprint", "text", (c) => c.notNull())
        .addColumn("alertname", "text", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("detail", "text", (c) => c.notNull())
        .addColumn("value", "double precision")
        .execute();
      await db.schema.createIndex("alert_history_user_at_idx").on("alert_history").columns(["user_id", "at"]).execute();
      await db.schema
        .createTable("silences")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("matchers", "text", (c) => c.notNull())
        .addColumn("starts_at", ts, (c) => c.notNull())
        .addColumn("ends_at", ts, (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("comment", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("silences_user_idx").on("silences").columns(["user_id", "ends_at"]).execute();
      await db.schema
        .createTable("maintenance_windows")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("matchers", "text", (c) => c.notNull())
        .addColumn("days", "text", (c) => c.notNull())
        .addColumn("start", "text", (c) => c.notNull())
        .addColumn("duration", "text", (c) => c.notNull())
        .addColumn("time_zone", "text", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .execute();
    },
  };
}
