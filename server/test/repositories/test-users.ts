import { createUsersRepository } from "#server/modules/auth/users.repository.ts";
import { newId } from "#server/platform/ids.ts";
import type { Db } from "#server/storage/database.ts";

/** Inserts `count` users with unique names (contract suites share one database per run) and returns their ids. */
export async function insertTestUsers(db: Db, prefix: string, count: number): Promise<string[]> {
  const repo = createUsersRepository(db);
  const now = new Date().toISOString();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = newId();
    const username = `${prefix}_${process.pid.toString(36)}_${Date.now().toString(36)}_${i}`;
    await repo.insert({ id, username, email: `${username}@example.com`, password_hash: "x", display_name: null, time_zone: "UTC", created_at: now, updated_at: now });
    ids.push(id);
  }
  return ids;
}
