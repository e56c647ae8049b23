import type { Kysely } from "kysely";
import type { DialectName } from "#server/storage/dialect.ts";
import { timestampType } from "#server/storage/dialect.ts";

// Migrations are frozen history: they see the database as it was then, hence Kysely<unknown>.
export function detectorStatesMigration(dialect: DialectName) {
  const ts = timestampType(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable("detector_states")
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("series_key", "text", (c) => c.notNull())
        .addColumn("labels", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("episode", "text", (c) => c.notNull())
        .addColumn("threshold", "double precision", (c) => c.notNull())
        .addColumn("last_t", "double precision", (c) => c.notNull())
        .addColumn("updated_at", ts, (c) => c.notNull())
        .addPrimaryKeyConstraint("detector_states_pk", ["user_id", "series_key"])
        .execute();
    },
  };
}
