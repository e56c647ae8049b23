import { sql } from "kysely";
import type { Db } from "#server/storage/database.ts";
import type { AnalysisBatchesTable, IncidentEventsTable, IncidentsTable } from "#server/storage/tables/incidents.table.ts";

export type IncidentRow = IncidentsTable;
export type IncidentEventRow = IncidentEventsTable;
export type AnalysisBatchRow = AnalysisBatchesTable;

export interface IncidentQuery {
  status?: string;
  severity?: string;
  /** ms: incidents not resolved before this time. */
  from?: number;
  /** ms: incidents started at or before this time. */
  to?: number;
  target?: string;
  limit: number;
}

export interface WindowQuery {
  from?: number;
  to?: number;
  limit: number;
}

export type IncidentChanges = Partial<Omit<IncidentRow, "id" | "user_id" | "created_at">>;

const iso = (ms: number) => new Date(ms).toISOString();

export function createIncidentsRepository(db: Db) {
  return {
    async insert(row: IncidentRow): Promise<void> {
      await db.insertInto("incidents").values(row).execute();
    },
    findForUser(userId: string, incidentId: string): Promise<IncidentRow | undefined> {
      return db.selectFrom("incidents").selectAll().where("id", "=", incidentId).where("user_id", "=", userId).executeTakeFirst();
    },
    /** Incidents still taking anomalies. */
    listActive(userId: string): Promise<IncidentRow[]> {
      return db.selectFrom("incidents").selectAll().where("user_id", "=", userId).where("status", "!=", "resolved").orderBy("started_at").execute();
    },
    list(userId: string, q: IncidentQuery): Promise<IncidentRow[]> {
      let query = db.selectFrom("incidents").selectAll().where("user_id", "=", userId);
      if (q.status !== undefined) query = query.where("status", "=", q.status);
      if (q.severity !== undefined) query = query.where("severity", "=", q.severity);
      if (q.from !== undefined) {
        const from = iso(q.from);
        query = query.where((eb) => eb.or([eb("resolved_at", "is", null), eb("resolved_at", ">=", from)]));
      }
      if (q.to !== undefined) query = query.where("started_at", "<=", iso(q.to));
      if (q.target !== undefined) {
        // targets is a JSON array of strings: match the quoted element, LIKE's wildcards taken literally.
        const pattern = `%${JSON.stringify(q.target).replace(/[%_\\]/g, "\\$&")}%`;
        query = query.where(sql<boolean>`targets like ${pattern} escape '\\'`);
      }
      return query.orderBy("started_at", "desc").orderBy("id", "desc").limit(q.limit).execute();
    },
    /** Incidents with a root-cause analysis, newest analysis first. */
    listAnalysed(userId: string, q: WindowQuery): Promise<IncidentRow[]> {
      let query = db.selectFrom("incidents").selectAll().where("user_id", "=", userId).where("rca", "is not", null);
      if (q.from !== undefined) query = query.where("rca_updated_at", ">=", iso(q.from));
      if (q.to !== undefined) query = query.where("rca_updated_at", "<=", iso(q.to));
      return query.orderBy("rca_updated_at", "desc").orderBy("id", "desc").limit(q.limit).execute();
    },
    async update(userId: string, incidentId: string, changes: IncidentChanges): Promise<boolean> {
      const result = await db.updateTable("incidents").set(changes).where("id", "=", incidentId).where("user_id", "=", userId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async count(userId: string): Promise<{ total: number; open: number; analysed: number }> {
      const row = await db
        .selectFrom("incidents")
        .select((eb) => [
          eb.fn.countAll<string | number>().as("total"),
          eb.fn.count<string | number>(eb.case().when("status", "!=", "resolved").then(1).end()).as("open"),
          eb.fn.count<string | number>("rca").as("analysed"),
        ])
        .where("user_id", "=", userId)
        .executeTakeFirstOrThrow();
      return { total: Number(row.total), open: Number(row.open), analysed: Number(row.analysed) };
    },
    async insertEvent(row: IncidentEventRow): Promise<void> {
      await db.insertInto("incident_events").values(row).execute();
    },
    listEvents(userId: string, incidentId: string): Promise<IncidentEventRow[]> {
      return db.selectFrom("incident_events").selectAll().where("user_id", "=", userId).where("incident_id", "=", incidentId).orderBy("at").orderBy("id").execute();
    },
    async insertBatch(row: AnalysisBatchRow): Promise<void> {
      await db.insertInto("analysis_batches").values(row).execute();
    },
    listBatches(userId: string, q: WindowQuery): Promise<AnalysisBatchRow[]> {
      let query = db.selectFrom("analysis_batches").selectAll().where("user_id", "=", userId);
      if (q.from !== undefined) query = query.where("window_end", ">=", iso(q.from));
      if (q.to !== undefined) query = query.where("window_start", "<=", iso(q.to));
      return query.orderBy("window_end", "desc").orderBy("id", "desc").limit(q.limit).execute();
    },
    /** The user's latest batch window end (ms), if any. */
    async lastBatchEnd(userId: string): Promise<number | undefined> {
      const row = await db.selectFrom("analysis_batches").select("window_end").where("user_id", "=", userId).orderBy("window_end", "desc").limit(1).executeTakeFirst();
      return row ? Date.parse(String(row.window_end)) : undefined;
    },
    async countBatches(userId: string): Promise<number> {
      const row = await db.selectFrom("analysis_batches").select((eb) => eb.fn.countAll<string | number>().as("n")).where("user_id", "=", userId).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type IncidentsRepository = ReturnType<typeof createIncidentsRepository>;
