import type { Db } from "#server/storage/database.ts";
import type { MetricMetadataTable } from "#server/storage/tables/metric-metadata.table.ts";

export type MetricMetadataRow = MetricMetadataTable;

export function createMetadataRepository(db: Db) {
  return {
    /** Inserts or replaces each metric family's metadata for the user. */
    async upsert(rows: readonly MetricMetadataRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db
        .insertInto("metric_metadata")
        .values([...rows])
        .onConflict((oc) =>
          oc.columns(["user_id", "metric"]).doUpdateSet((eb) => ({
            type: eb.ref("excluded.type"),
            help: eb.ref("excluded.help"),
            unit: eb.ref("excluded.unit"),
            updated_at: eb.ref("excluded.updated_at"),
          })),
        )
        .execute();
    },

    listForUser(userId: string, metric: string | undefined, limit: number | undefined): Promise<MetricMetadataRow[]> {
      let query = db.selectFrom("metric_metadata").selectAll().where("user_id", "=", userId);
      if (metric !== undefined) query = query.where("metric", "=", metric);
      query = query.orderBy("metric");
      if (limit !== undefined) query = query.limit(limit);
      return query.execute();
    },
  };
}

export type MetadataRepository = ReturnType<typeof createMetadataRepository>;
