import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function incidentsMigration(dialect: DialectName) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("incidents")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("severity", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("started_at", ts, (c) => c.notNull())
        .addColumn("last_activity_at", ts, (c) => c.notNull())
        .addColumn("resolved_at", ts)
        .addColumn("targets", "text", (c) => c.notNull())
        .addColumn("anomaly_count", "integer", (c) => c.notNull())
        .addColumn("open_anomaly_count", "integer", (c) => c.notNull())
        .addColumn("rca", "text")
        .addColumn("rca_status", "text", (c) => c.notNull())
        .addColumn("rca_error", "text")
        .addColumn("rca_updated_at", ts)
        .addColumn("decision", "text", (c) => c.notNull())
        .addColumn("acknowledged_at", ts)
        .addColumn("acknowledged_note", "text")
        .addColumn("feedback_rca_correct", "integer")
        .addColumn("feedback_actual_cause", "text")
        .addColumn("feedback_note", "text")
        .addColumn("feedback_at", ts)
        .addColumn("created_at", ts, (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("incidents_user_started_idx").on("incidents").columns(["user_id", "started_at"]).execute();
      await db.schema.createIndex("incidents_user_status_idx").on("incidents").columns(["user_id", "status"]).execute();

      await db.schema
        .createTable("incident_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("incident_id", "text", (c) => c.notNull().references("incidents.id").onDelete("cascade"))
        .addColumn("at", ts, (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("incident_events_incident_idx").on("incident_events").columns(["user_id", "incident_id", "at"]).execute();

      // An anomaly belongs to at most one incident.
      await db.schema.alterTable("anomalies").addColumn("incident_id", "text").execute();
      await db.schema.createIndex("anomalies_user_incident_idx").on("anomalies").columns(["user_id", "incident_id"]).execute();

      await db.schema
        .createTable("analysis_batches")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("mode", "text", (c) => c.notNull())
        .addColumn("window_start", ts, (c) => c.notNull())
        .addColumn("window_end", ts, (c) => c.notNull())
        .addColumn("series_count", "integer", (c) => c.notNull())
        .addColumn("sample_count", "integer", (c) => c.notNull())
        .addColumn("anomaly_count", "integer", (c) => c.notNull())
        .addColumn("incident_id", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("detail", "text")
        .addColumn("llm_provider", "text")
        .addColumn("llm_model", "text")
        .addColumn("tokens", "integer", (c) => c.notNull())
        .addColumn("created_at", ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("analysis_batches_user_window_idx").on("analysis_batches").columns(["user_id", "window_end"]).execute();
    },
  };
}
