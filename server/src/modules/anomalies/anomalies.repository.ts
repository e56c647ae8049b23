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
    async assignIncident(userId: string, anomalyIds: readonly string[], incidentId: string): Promise<void> {
      if (anomalyIds.length === 0) return;
      await db.updateTable("anomalies").set({ incident_id: incidentId }).where("user_id", "=", userId).where("id", "in", anomalyIds).execute();
    },
    listByIncident(userId: string, incidentId: string): Promise<AnomalyRow[]> {
      return db.selectFrom("anomalies").selectAll().where("user_id", "=", userId).where("incident_id", "=", incidentId).orderBy("started_at").orderBy("id").execute();
    },
    listUngroupedOpen(userId: string): Promise<AnomalyRow[]> {
      return db
        .selectFrom("anomalies")
        .selectAll()
        .where("user_id", "=", userId)
        .where("status", "=", "open")
        .where("incident_id", "is", null)
        .orderBy("started_at")
        .execute();
    },
    async count(userId: string): Promise<{ total: number; open: number }> {
      const row = await db
        .selectFrom("anomalies")
        .select((eb) => [eb.fn.countAll<string | number>().as("total"), eb.fn.count<string | number>(eb.case().when("status", "=", "open").then(1).end()).as("open")])
        .where("user_id", "=", userId)
        .executeTakeFirstOrThrow();
      return { total: Number(row.total), open: Number(row.open) };
    },
    async update(userId: string, anomalyId: string, changes: AnomalyChanges): Promise<boolean> {
      const result = await db.updateTable("anomalies").set(changes).where("id", "=", anomalyId).where("user_id", "=", userId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type AnomaliesRepository = ReturnType<typeof createAnomaliesRepository>;
