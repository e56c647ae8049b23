import type { Db } from "#server/storage/database.ts";
import type { UsersTable } from "#server/storage/tables/accounts.table.ts";

export type UserRow = UsersTable;

export function createUsersRepository(db: Db) {
  return {
    async insert(row: UserRow): Promise<void> {
      await db.insertInto("users").values(row).execute();
    },
    findById(userId: string): Promise<UserRow | undefined> {
      return db.selectFrom("users").selectAll().where("id", "=", userId).executeTakeFirst();
    },
    /** The first account created (the instance owner unless configured otherwise). */
    findFirst(): Promise<UserRow | undefined> {
      return db.selectFrom("users").selectAll().orderBy("created_at").orderBy("id").limit(1).executeTakeFirst();
    },
    findByLogin(login: string): Promise<UserRow | undefined> {
      const column = login.includes("@") ? "email" : "username";
      return db.selectFrom("users").selectAll().where(column, "=", login.toLowerCase()).executeTakeFirst();
    },
    async isTaken(column: "username" | "email", value: string, exceptUserId?: string): Promise<boolean> {
      let query = db.selectFrom("users").select("id").where(column, "=", value);
      if (exceptUserId !== undefined) query = query.where("id", "!=", exceptUserId);
      return (await query.executeTakeFirst()) !== undefined;
    },
    async update(userId: string, changes: Partial<Omit<UserRow, "id" | "created_at">>): Promise<void> {
      await db.updateTable("users").set(changes).where("id", "=", userId).execute();
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
