import type { Db } from "#server/storage/database.ts";
import type { NotificationChannelsTable } from "#server/storage/tables/notifications.table.ts";

export type ChannelRow = NotificationChannelsTable;

export function createChannelsRepository(db: Db) {
  return {
    listForUser(userId: string): Promise<ChannelRow[]> {
      return db.selectFrom("notification_channels").selectAll().where("user_id", "=", userId).orderBy("name").orderBy("id").execute();
    },
    findForUser(userId: string, channelId: string): Promise<ChannelRow | undefined> {
      return db.selectFrom("notification_channels").selectAll().where("user_id", "=", userId).where("id", "=", channelId).executeTakeFirst();
    },
    /** Makes `rows` the user's complete channel list, in one transaction (names may swap between channels). */
    async replaceForUser(userId: string, rows: readonly ChannelRow[]): Promise<void> {
      if (rows.some((row) => row.user_id !== userId)) throw new Error("replaceForUser: a row of another user");
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom("notification_channels").where("user_id", "=", userId).execute();
        if (rows.length > 0) await trx.insertInto("notification_channels").values([...rows]).execute();
      });
    },
    /** The user's IANA time zone (users.time_zone), for times in messages. */
    async timeZoneOf(userId: string): Promise<string | undefined> {
      const row = await db.selectFrom("users").select("time_zone").where("id", "=", userId).executeTakeFirst();
      return row?.time_zone;
    },
  };
}

export type ChannelsRepository = ReturnType<typeof createChannelsRepository>;
