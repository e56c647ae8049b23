import type { Db } from "#server/storage/database.ts";
import type { AlertGroupsTable, AlertHistoryTable, AlertsTable, MaintenanceWindowsTable, SilencesTable } from "#server/storage/tables/alerting.table.ts";

export type AlertRow = AlertsTable;
export type AlertGroupRow = AlertGroupsTable;
export type AlertHistoryRow = AlertHistoryTable;
export type SilenceRow = SilencesTable;
export type MaintenanceWindowRow = MaintenanceWindowsTable;

export interface HistoryQuery {
  from?: number;
  to?: number;
  fingerprint?: string;
  alertname?: string;
  limit: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Writes of one state change, applied together in one transaction (with its outbox rows). */
export interface AlertingWrites {
  alerts?: AlertRow[];
  deleteAlerts?: string[];
  groups?: AlertGroupRow[];
  deleteGroups?: string[];
  history?: AlertHistoryRow[];
}

export function createAlertingRepository(db: Db) {
  return {
    async findConfig(userId: string): Promise<{ config: string; updated_at: string } | undefined> {
      return db.selectFrom("alerting_configs").select(["config", "updated_at"]).where("user_id", "=", userId).executeTakeFirst();
    },
    async putConfig(userId: string, config: string, updatedAt: string): Promise<void> {
      await db
        .insertInto("alerting_configs")
        .values({ user_id: userId, config, updated_at: updatedAt })
        .onConflict((oc) => oc.column("user_id").doUpdateSet({ config, updated_at: updatedAt }))
        .execute();
    },
    listAlerts(userId: string): Promise<AlertRow[]> {
      return db.selectFrom("alerts").selectAll().where("user_id", "=", userId).orderBy("starts_at").orderBy("fingerprint").execute();
    },
    listGroups(userId: string): Promise<AlertGroupRow[]> {
      return db.selectFrom("alert_groups").selectAll().where("user_id", "=", userId).execute();
    },
    /** Users with groups waiting for a flush (resumed at start). */
    async usersWithGroups(): Promise<string[]> {
      return (await db.selectFrom("alert_groups").select("user_id").distinct().execute()).map((r) => r.user_id);
    },
    /**
     * Applies a state change's writes in `tx` (a transaction, so the outbox rows written with it
     * commit or vanish together). Every statement names the user.
     */
    async write(tx: Db, userId: string, w: AlertingWrites): Promise<void> {
      for (const row of w.alerts ?? []) {
        const { user_id: _u, fingerprint: _f, ...rest } = row;
        await tx
          .insertInto("alerts")
          .values(row)
          .onConflict((oc) => oc.columns(["user_id", "fingerprint"]).doUpdateSet(rest))
          .execute();
      }
      if (w.deleteAlerts && w.deleteAlerts.length > 0) await tx.deleteFrom("alerts").where("user_id", "=", userId).where("fingerprint", "in", w.deleteAlerts).execute();
      for (const row of w.groups ?? []) {
        await tx
          .insertInto("alert_groups")
          .values(row)
          .onConflict((oc) => oc.columns(["user_id", "group_key"]).doUpdateSet({ state: row.state, members: row.members, next_flush_at: row.next_flush_at }))
          .execute();
      }
      if (w.deleteGroups && w.deleteGroups.length > 0) await tx.deleteFrom("alert_groups").where("user_id", "=", userId).where("group_key", "in", w.deleteGroups).execute();
      if (w.history && w.history.length > 0) await tx.insertInto("alert_history").values(w.history).execute();
    },
    listHistory(userId: string, q: HistoryQuery): Promise<AlertHistoryRow[]> {
      let query = db.selectFrom("alert_history").selectAll().where("user_id", "=", userId);
      if (q.from !== undefined) query = query.where("at", ">=", iso(q.from));
      if (q.to !== undefined) query = query.where("at", "<=", iso(q.to));
      if (q.fingerprint !== undefined) query = query.where("fingerprint", "=", q.fingerprint);
      if (q.alertname !== undefined) query = query.where("alertname", "=", q.alertname);
      return query.orderBy("at", "desc").orderBy("id", "desc").limit(q.limit).execute();
    },
    async insertSilence(row: SilenceRow): Promise<void> {
      await db.insertInto("silences").values(row).execute();
    },
    listSilences(userId: string): Promise<SilenceRow[]> {
      return db.selectFrom("silences").selectAll().where("user_id", "=", userId).orderBy("created_at", "desc").orderBy("id", "desc").execute();
    },
    findSilence(userId: string, id: string): Promise<SilenceRow | undefined> {
      return db.selectFrom("silences").selectAll().where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
    },
    /** Ends a silence now (kept for the record, as Alertmanager expires rather than deletes). */
    async expireSilence(userId: string, id: string, at: string): Promise<boolean> {
      const result = await db.updateTable("silences").set({ ends_at: at }).where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async insertWindow(row: MaintenanceWindowRow): Promise<void> {
      await db.insertInto("maintenance_windows").values(row).execute();
    },
    listWindows(userId: string): Promise<MaintenanceWindowRow[]> {
      return db.selectFrom("maintenance_windows").selectAll().where("user_id", "=", userId).orderBy("created_at").orderBy("id").execute();
    },
    async deleteWindow(userId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom("maintenance_windows").where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type AlertingRepository = ReturnType<typeof createAlertingRepository>;
