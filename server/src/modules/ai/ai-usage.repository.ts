import type { Db } from "#server/storage/database.ts";
import type { AiUsageTable } from "#server/storage/tables/ai-usage.table.ts";

export type AiUsageRow = AiUsageTable;

export interface AiUsageTotal {
  purpose: string;
  provider: string;
  model: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

/** Every query names the user: usage is private to its owner. */
export function createAiUsageRepository(db: Db) {
  return {
    async insert(row: AiUsageRow): Promise<void> {
      await db.insertInto("ai_usage").values(row).execute();
    },
    /** Prompt + completion tokens the user spent since `since` (ISO-8601). */
    async sumTokensSince(userId: string, since: string): Promise<number> {
      const row = await db
        .selectFrom("ai_usage")
        .select((eb) => [eb.fn.sum<number | string | null>("prompt_tokens").as("prompt"), eb.fn.sum<number | string | null>("completion_tokens").as("completion")])
        .where("user_id", "=", userId)
        .where("created_at", ">=", since)
        .executeTakeFirst();
      return Number(row?.prompt ?? 0) + Number(row?.completion ?? 0);
    },
    /** Totals per purpose, provider and model in [from, to). */
    async summarize(userId: string, range: { from: string; to: string }): Promise<AiUsageTotal[]> {
      const rows = await db
        .selectFrom("ai_usage")
        .select((eb) => [
          "purpose",
          "provider",
          "model",
          eb.fn.countAll<number | string>().as("calls"),
          eb.fn.sum<number | string>("prompt_tokens").as("prompt"),
          eb.fn.sum<number | string>("completion_tokens").as("completion"),
        ])
        .where("user_id", "=", userId)
        .where("created_at", ">=", range.from)
        .where("created_at", "<", range.to)
        .groupBy(["purpose", "provider", "model"])
        .orderBy("purpose")
        .orderBy("provider")
        .orderBy("model")
        .execute();
      return rows.map((row) => ({
        purpose: row.purpose,
        provider: row.provider,
        model: row.model,
        calls: Number(row.calls),
        promptTokens: Number(row.prompt),
        completionTokens: Number(row.completion),
      }));
    },
    /** The user's most recent calls, newest first. */
    listRecent(userId: string, limit: number): Promise<AiUsageRow[]> {
      return db.selectFrom("ai_usage").selectAll().where("user_id", "=", userId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
    },
  };
}

export type AiUsageRepository = ReturnType<typeof createAiUsageRepository>;
