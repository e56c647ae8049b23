/*
 * The behaviour every dialect must give the AI usage repository. Run by
 * ai-usage.repository.sqlite.test.ts (unit suite) and
 * server/e2e/ai-usage.repository.postgres.e2e.test.ts (real PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAiUsageRepository, type AiUsageRow } from "#server/modules/ai/ai-usage.repository.ts";
import { newId } from "#server/platform/ids.ts";
import type { Database } from "#server/storage/database.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

const at = (minutes: number): string => new Date(Date.parse("2026-03-01T00:00:00.000Z") + minutes * 60_000).toISOString();

export function describeAiUsageRepositoryContract(dialect: string, open: () => Promise<Database>): void {
  describe(`AI usage repository (${dialect})`, () => {
    let database: Database;
    const users: string[] = [];
    const row = (userId: string, overrides: Partial<AiUsageRow> = {}): AiUsageRow => ({
      id: newId(),
      user_id: userId,
      purpose: "rca",
      provider: "primary",
      model: "gpt-4o-mini",
      prompt_tokens: 100,
      completion_tokens: 20,
      estimated: 0,
      outcome: "success",
      duration_ms: 1234,
      created_at: at(0),
      ...overrides,
    });

    before(async () => {
      database = await open();
      users.push(...(await insertTestUsers(database.db, "ai_usage", 2)));
    });
    after(() => database.close());

    it("stores every column and lists only the owner's rows, newest first", async () => {
      const repo = createAiUsageRepository(database.db);
      const [alice, bob] = users as [string, string];
      const first = row(alice, { created_at: at(1) });
      const second = row(alice, { created_at: at(2), purpose: "chat", estimated: 1, outcome: "invalid_output" });
      await repo.insert(first);
      await repo.insert(second);
      await repo.insert(row(bob, { created_at: at(3) }));
      assert.deepEqual(
        (await repo.listRecent(alice, 10)).map((r) => ({ ...r })),
        [second, first],
      );
      assert.equal((await repo.listRecent(bob, 10)).length, 1);
      assert.deepEqual(await repo.listRecent(newId(), 10), []);
    });

    it("sums a user's tokens since a time (the daily budget), never another user's", async () => {
      const repo = createAiUsageRepository(database.db);
      const [alice, bob] = users as [string, string];
      assert.equal(await repo.sumTokensSince(alice, at(0)), 240);
      assert.equal(await repo.sumTokensSince(alice, at(2)), 120);
      assert.equal(await repo.sumTokensSince(alice, at(60)), 0);
      assert.equal(await repo.sumTokensSince(bob, at(0)), 120);
    });

    it("summarises per purpose, provider and model within [from, to)", async () => {
      const repo = createAiUsageRepository(database.db);
      const [alice] = users as [string];
      await repo.insert(row(alice, { created_at: at(4), provider: "fallback", model: "llama3.1", prompt_tokens: 7, completion_tokens: 3 }));
      assert.deepEqual(await repo.summarize(alice, { from: at(0), to: at(10) }), [
        { purpose: "chat", provider: "primary", model: "gpt-4o-mini", calls: 1, promptTokens: 100, completionTokens: 20 },
        { purpose: "rca", provider: "fallback", model: "llama3.1", calls: 1, promptTokens: 7, completionTokens: 3 },
        { purpose: "rca", provider: "primary", model: "gpt-4o-mini", calls: 1, promptTokens: 100, completionTokens: 20 },
      ]);
      assert.deepEqual(await repo.summarize(alice, { from: at(2), to: at(4) }), [
        { purpose: "chat", provider: "primary", model: "gpt-4o-mini", calls: 1, promptTokens: 100, completionTokens: 20 },
      ]);
    });
  });
}
