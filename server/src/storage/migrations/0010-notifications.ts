import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function notificationsMigration(dialect: DialectName) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("notification_channels")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull())
        .addColumn("send_resolved", "integer", (c) => c.notNull())
        .addColumn("config", "text", (c) => c.notNull())
        .addColumn("secrets", "text")
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addUniqueConstraint("notification_channels_user_name_key", ["user_id", "name"])
        .execute();

      await db.schema
        .createTable("notification_outbox")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("idempotency_key", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("group_key", "text", (c) => c.notNull())
        .addColumn("notification", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull())
        .addColumn("next_attempt_at", ts, (c) => c.notNull())
        .addColumn("lease_until", ts)
        .addColumn("claim_token", "text")
        .addColumn("give_up_at", ts)
        .addColumn("last_error", "text")
        .addColumn("last_status_code", "integer")
        .addColumn("delivered_at", ts)
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addUniqueConstraint("notification_outbox_idempotency_key", ["user_id", "channel_id", "idempotency_key"])
        .execute();
      await db.schema.createIndex("notification_outbox_due_idx").on("notification_outbox").columns(["status", "next_attempt_at"]).execute();
      await db.schema.createIndex("notification_outbox_group_idx").on("notification_outbox").columns(["user_id", "channel_id", "group_key", "status"]).execute();
      await db.schema.createIndex("notification_outbox_user_created_idx").on("notification_outbox").columns(["user_id", "created_at"]).execute();

      await db.schema
        .createTable("notification_attempts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("outbox_id", "text", (c) => c.notNull().references("notification_outbox.id").onDelete("cascade"))
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("attempt", "integer", (c) => c.notNull())
        .addColumn("at", ts, (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("status_code", "integer")
        .addColumn("detail", "text")
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("notification_attempts_outbox_idx").on("notification_attempts").columns(["user_id", "outbox_id", "attempt"]).execute();
    },
  };
}
