import type { Db } from "#server/storage/database.ts";
import type { TargetsTable } from "#server/storage/tables/targets.table.ts";

export type TargetRow = TargetsTable;

/** What a scrape leaves on its target. */
export interface ScrapeOutcome {
  health: "up" | "down";
  last_scrape_at: string;
  last_scrape_duration_ms: number;
  last_error: string | null;
  samples_last_scrape: number;
}

export type TargetChanges = Partial<Omit<TargetRow, "id" | "user_id" | "created_at">>;

export function createTargetsRepository(db: Db) {
  return {
    async insert(row: TargetRow): Promise<void> {
      await db.insertInto("targets").values(row).execute();
    },
    listForUser(userId: string): Promise<TargetRow[]> {
      return db.selectFrom("targets").selectAll().where("user_id", "=", userId).orderBy("name").orderBy("id").execute();
    },
    /** Every enabled target of every user: what the scraper schedules. */
    listEnabled(): Promise<TargetRow[]> {
      return db.selectFrom("targets").selectAll().where("enabled", "=", 1).orderBy("user_id").orderBy("id").execute();
    },
    findForUser(userId: string, targetId: string): Promise<TargetRow | undefined> {
      return db.selectFrom("targets").selectAll().where("id", "=", targetId).where("user_id", "=", userId).executeTakeFirst();
    },
    findByName(userId: string, name: string): Promise<TargetRow | undefined> {
      return db.selectFrom("targets").selectAll().where("user_id", "=", userId).where("name", "=", name).executeTakeFirst();
    },
    async update(userId: string, targetId: string, changes: TargetChanges): Promise<boolean> {
      const result = await db.updateTable("targets").set(changes).where("id", "=", targetId).where("user_id", "=", userId).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async recordScrape(userId: string, targetId: string, outcome: ScrapeOutcome): Promise<void> {
      await db.updateTable("targets").set(outcome).where("id", "=", targetId).where("user_id", "=", userId).execute();
    },
    async delete(userId: string, targetId: string): Promise<boolean> {
      const result = await db.deleteFrom("targets").where("id", "=", targetId).where("user_id", "=", userId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type TargetsRepository = ReturnType<typeof createTargetsRepository>;
