import type { Db } from "#server/storage/database.ts";
import type { AnomaliesTable } from "#server/storage/tables/anomalies.table.ts";

export type AnomalyRow = AnomaliesTable;

export interface AnomalyQuery {
  /** ms: anomalies still open at, or ending after, this time. */
  from?: number;
  /** ms: anomalies started at or before this time. */
  to?: number;
  /** Matches the series' instance or job label. */
  target?: string;
  minScore?: number;
  status?: "open" | "closed";
  limit: number;
}

export type AnomalyChanges = Partial<Omit<AnomalyRow, "id" | "user_id" | "series_key" | "created_at">>;

export function createAnomaliesRepository(db: Db) {
  return {
    async insert(row: AnomalyRow): Promise<void> {
      await db.insertInto("anomalies").values(row).execute();
    },
    findForUser(userId: string, anomalyId: string): Promise<AnomalyRow | undefined> {
      return db.selectFrom("anomalies").selectAll().where("id", "=", anomalyId).where("user_id", "=", userId).executeTakeFirst();
    },
    /** The series' open anomaly, if any. */
    findOpen(userId: string, seriesKey: string): Promise<AnomalyRow | undefined> {
      return db
        .selectFrom("anomalies")
        .selectAll()
        .where("user_id", "=", userId)
        .where("series_key", "=", seriesKey)
        .where("status", "=", "open")
        .executeTakeFirst();
    },
    list(userId: string, q: AnomalyQuery): Promise<AnomalyRow[]> {
      let query = db.selectFrom("anomalies").selectAll().where("user_id", "=", userId);
      if (q.from !== undefined) {
        const from = new Date(q.from).toISOString();
        query = query.where((eb) => eb.or([eb("ended_at", "is", null), eb("ended_at", ">=", from)]));
      }
      if (q.to !== undefined) query = query.where("started_at", "<=", new Date(q.to).toISOString());
      if (q.target !== undefined) {
        const target = q.target;
        query = query.where((eb) => eb.or([eb("instance", "=", target), eb("job", "=", target)]));
      }
      if (q.minScore !== undefined) query = query.where("peak_score", ">=", q.minScore);
      if (q.status !== undefined) query = query.where("status", "=", q.status);
      return query.orderBy("started_at", "desc").orderBy("id", "desc").limit(q.limit).execute();
    },
    async update(userId: string, anomalyId: string, changes: AnomalyChanges): Promise<boolean> {
      const result = await db.updateTable("anomalies").set(changes).where("id", "=", anomalyId).where("user_id", "=", userId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type AnomaliesRepository = ReturnType<typeof createAnomaliesRepository>;
