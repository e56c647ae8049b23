import type { Db } from "#server/storage/database.ts";
import type { NotificationAttemptsTable, NotificationOutboxTable } from "#server/storage/tables/notifications.table.ts";

export type OutboxRow = NotificationOutboxTable;
export type AttemptRow = NotificationAttemptsTable;
export type OutboxStatus = "pending" | "sending" | "delivered" | "failed" | "dropped";

/** What a finished attempt leaves on its row. */
export interface OutboxResult {
  status: "pending" | "delivered" | "failed" | "dropped";
  next_attempt_at: string;
  last_error: string | null;
  last_status_code: number | null;
  delivered_at: string | null;
  updated_at: string;
}

/** Inserts outbox rows; the same (user, channel, idempotency key) again is ignored. No network, no commit: the caller's transaction decides. */
export async function insertOutboxRows(db: Db, rows: readonly OutboxRow[]): Promise<void> {
  for (const row of rows) {
    await db
      .insertInto("notification_outbox")
      .values(row)
      .onConflict((oc) => oc.columns(["user_id", "channel_id", "idempotency_key"]).doNothing())
      .execute();
  }
}

export function createOutboxRepository(db: Db) {
  return {
    insert: (rows: readonly OutboxRow[]) => insertOutboxRows(db, rows),

    /** Rows a worker may take now (every user's): pending and due, or sending with an expired lease. Oldest first. */
    listDue(nowIso: string, limit: number): Promise<OutboxRow[]> {
      return db
        .selectFrom("notification_outbox")
        .selectAll()
        .where((eb) =>
          eb.or([
            eb.and([eb("status", "=", "pending"), eb("next_attempt_at", "<=", nowIso)]),
            eb.and([eb("status", "=", "sending"), eb("lease_until", "<=", nowIso)]),
          ]),
        )
        .orderBy("id")
        .limit(limit)
        .execute();
    },

    /** When the next row becomes due after `nowIso` (a retry or an expired lease), if any is waiting. Rows due already are not counted: they are being sent or wait for an earlier message of their group. */
    async nextDueAt(nowIso: string): Promise<string | undefined> {
      const pending = await db
        .selectFrom("notification_outbox")
        .select((eb) => eb.fn.min("next_attempt_at").as("at"))
        .where("status", "=", "pending")
        .where("next_attempt_at", ">", nowIso)
        .executeTakeFirst();
      const leased = await db
        .selectFrom("notification_outbox")
        .select((eb) => eb.fn.min("lease_until").as("at"))
        .where("status", "=", "sending")
        .where("lease_until", ">", nowIso)
        .executeTakeFirst();
      const times = [pending?.at, leased?.at].filter((t): t is string => typeof t === "string");
      return times.length === 0 ? undefined : times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
    },

    /** Whether an older message of the same alert group to the same channel is still undelivered (order is kept per group). */
    async hasEarlierOpen(row: Pick<OutboxRow, "user_id" | "channel_id" | "group_key" | "id">): Promise<boolean> {
      const found = await db
        .selectFrom("notification_outbox")
        .select("id")
        .where("user_id", "=", row.user_id)
        .where("channel_id", "=", row.channel_id)
        .where("group_key", "=", row.group_key)
        .where("status", "in", ["pending", "sending"])
        .where("id", "<", row.id)
        .limit(1)
        .executeTakeFirst();
      return found !== undefined;
    },

    /**
     * Takes a row for one attempt: marks it sending with a lease and a claim token, counting the
     * attempt; the first claim fixes when retries stop (giveUpAt). Only one worker wins; false when the row was taken or is not due any more.
     */
    async claim(userId: string, id: string, nowIso: string, leaseUntil: string, token: string, giveUpAt: string): Promise<boolean> {
      const result = await db
        .updateTable("notification_outbox")
        .set((eb) => ({
          status: "sending",
          lease_until: leaseUntil,
          claim_token: token,
          attempts: eb("attempts", "+", 1),
          give_up_at: eb.fn.coalesce("give_up_at", eb.val(giveUpAt)),
          updated_at: nowIso,
        }))
        .where("id", "=", id)
        .where("user_id", "=", userId)
        .where((eb) =>
          eb.or([
            eb.and([eb("status", "=", "pending"), eb("next_attempt_at", "<=", nowIso)]),
            eb.and([eb("status", "=", "sending"), eb("lease_until", "<=", nowIso)]),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Records an attempt's outcome and its history row in one transaction, if this claim still
     * holds the row (a worker whose lease expired and was taken over records nothing).
     */
    async complete(userId: string, id: string, token: string, result: OutboxResult, attempt: AttemptRow): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable("notification_outbox")
          .set({ ...result, lease_until: null, claim_token: null })
          .where("id", "=", id)
          .where("user_id", "=", userId)
          .where("status", "=", "sending")
          .where("claim_token", "=", token)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return false;
        await trx.insertInto("notification_attempts").values(attempt).execute();
        return true;
      });
    },

    findForUser(userId: string, id: string): Promise<OutboxRow | undefined> {
      return db.selectFrom("notification_outbox").selectAll().where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
    },

    listForUser(userId: string, options: { status?: OutboxStatus; limit: number }): Promise<OutboxRow[]> {
      let query = db.selectFrom("notification_outbox").selectAll().where("user_id", "=", userId);
      if (options.status !== undefined) query = query.where("status", "=", options.status);
      return query.orderBy("id", "desc").limit(options.limit).execute();
    },

    attemptsFor(userId: string, outboxId: string): Promise<AttemptRow[]> {
      return db.selectFrom("notification_attempts").selectAll().where("user_id", "=", userId).where("outbox_id", "=", outboxId).orderBy("attempt").orderBy("id").execute();
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
