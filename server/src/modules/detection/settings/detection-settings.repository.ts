import type { Db } from "#server/storage/database.ts";
import type { DetectionSettingsTable } from "#server/storage/tables/detection-settings.table.ts";

export type DetectionSettingsRow = DetectionSettingsTable;

export function createDetectionSettingsRepository(db: Db) {
  return {
    find(userId: string): Promise<DetectionSettingsRow | undefined> {
      return db.selectFrom("detection_settings").selectAll().where("user_id", "=", userId).executeTakeFirst();
    },
    listAll(): Promise<DetectionSettingsRow[]> {
      return db.selectFrom("detection_settings").selectAll().execute();
    },
    async put(row: DetectionSettingsRow): Promise<void> {
      await db
        .insertInto("detection_settings")
        .values(row)
        .onConflict((oc) => oc.column("user_id").doUpdateSet((eb) => ({ settings: eb.ref("excluded.settings"), updated_at: eb.ref("excluded.updated_at") })))
        .execute();
    },
  };
}

export type DetectionSettingsRepository = ReturnType<typeof createDetectionSettingsRepository>;
