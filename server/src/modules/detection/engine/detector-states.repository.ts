import type { Db } from "#server/storage/database.ts";
import type { DetectorStatesTable } from "#server/storage/tables/detector-states.table.ts";

export type DetectorStateRow = DetectorStatesTable;

const BATCH = 500;

export function createDetectorStatesRepository(db: Db) {
  return {
    /** Writes the states in one transaction (no network inside: the database only). */
    async save(rows: readonly DetectorStateRow[]): Promise<void> {
      if (rows.length === 0) return;
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < rows.length; i += BATCH) {
          await tx
            .insertInto("detector_states")
            .values(rows.slice(i, i + BATCH))
            .onConflict((oc) =>
              oc.columns(["user_id", "series_key"]).doUpdateSet((eb) => ({
                state: eb.ref("excluded.state"),
                episode: eb.ref("excluded.episode"),
                threshold: eb.ref("excluded.threshold"),
                last_t: eb.ref("excluded.last_t"),
                updated_at: eb.ref("excluded.updated_at"),
              })),
            )
            .execute();
        }
      });
    },
    find(userId: string, seriesKey: string): Promise<DetectorStateRow | undefined> {
      return db.selectFrom("detector_states").selectAll().where("user_id", "=", userId).where("series_key", "=", seriesKey).executeTakeFirst();
    },
    /** Every checkpointed series, of every user (the engine restores all at start). */
    loadAll(): Promise<DetectorStateRow[]> {
      return db.selectFrom("detector_states").selectAll().execute();
    },
  };
}

export type DetectorStatesRepository = ReturnType<typeof createDetectorStatesRepository>;
