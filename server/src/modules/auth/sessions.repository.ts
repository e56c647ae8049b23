import type { Db } from "#server/storage/database.ts";
import type { RefreshTokensTable, SessionsTable } from "#server/storage/tables/accounts.table.ts";

export type SessionRow = SessionsTable;
export type RefreshTokenRow = RefreshTokensTable;

/** Login sessions and their refresh tokens; every read and write is scoped by the owning user. */
export function createSessionsRepository(db: Db) {
  return {
    async insertWithToken(session: SessionRow, token: RefreshTokenRow): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto("sessions").values(session).execute();
        await tx.insertInto("refresh_tokens").values(token).execute();
      });
    },

    findForUser(userId: string, sessionId: string): Promise<SessionRow | undefined> {
      return db.selectFrom("sessions").selectAll().where("id", "=", sessionId).where("user_id", "=", userId).executeTakeFirst();
    },

    listActiveForUser(userId: string, now: string): Promise<SessionRow[]> {
      return db
        .selectFrom("sessions")
        .selectAll()
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .orderBy("last_active_at", "desc")
        .execute();
    },

    async countActive(now: string): Promise<number> {
      const row = await db
        .selectFrom("sessions")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return Number(row?.count ?? 0);
    },

    async touch(userId: string, sessionId: string, now: string): Promise<void> {
      await db.updateTable("sessions").set({ last_active_at: now }).where("id", "=", sessionId).where("user_id", "=", userId).execute();
    },

    /** Revokes one active session; false when it is not the user's or not active (revoked or expired). */
    async revoke(userId: string, sessionId: string, now: string, reason: string): Promise<boolean> {
      const result = await db
        .updateTable("sessions")
        .set({ revoked_at: now, revoked_reason: reason })
        .where("id", "=", sessionId)
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async revokeAllExcept(userId: string, keepSessionId: string | null, now: string, reason: string): Promise<number> {
      let query = db
        .updateTable("sessions")
        .set({ revoked_at: now, revoked_reason: reason })
        .where("user_id", "=", userId)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now);
      if (keepSessionId !== null) query = query.where("id", "!=", keepSessionId);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    findRefreshToken(tokenHash: string): Promise<RefreshTokenRow | undefined> {
      return db.selectFrom("refresh_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
    },

    /**
     * Marks the presented token used and stores its successor, atomically. The
     * conditional update makes a concurrent second use of the same token lose.
     */
    async rotateRefreshToken(used: RefreshTokenRow, next: RefreshTokenRow, now: string, sessionExpiresAt: string): Promise<boolean> {
      return db.transaction().execute(async (tx) => {
        const result = await tx
          .updateTable("refresh_tokens")
          .set({ used_at: now })
          .where("id", "=", used.id)
          .where("user_id", "=", used.user_id)
          .where("used_at", "is", null)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) return false;
        await tx.insertInto("refresh_tokens").values(next).execute();
        await tx
          .updateTable("sessions")
          .set({ last_active_at: now, expires_at: sessionExpiresAt })
          .where("id", "=", used.session_id)
          .where("user_id", "=", used.user_id)
          .execute();
        return true;
      });
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
