/*
 * The behaviour every dialect must give the rules repository. Run by rules.repository.sqlite.test.ts
 * (unit suite) and server/e2e/rules.repository.postgres.e2e.test.ts (real PostgreSQL).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createRulesRepository } from "#server/modules/rules/index.ts";
import type { Database } from "#server/storage/database.ts";
import { insertTestUsers } from "#test/repositories/test-users.ts";

const T1 = "2026-03-01T00:00:00.000Z";
const T2 = "2026-03-01T01:00:00.000Z";

export function describeRulesRepositoryContract(dialect: string, open: () => Promise<Database>): void {
  describe(`rules repository (${dialect})`, () => {
    let database: Database;
    const users: string[] = [];

    before(async () => {
      database = await open();
      users.push(...(await insertTestUsers(database.db, "rules", 2)));
    });
    after(() => database.close());

    it("creates and replaces a user's named file, keeping created_at", async () => {
      const repo = createRulesRepository(database.db);
      const [a] = users as [string];
      await repo.putFile(a, "rules.yml", "groups: []\n", T1);
      await repo.putFile(a, "rules.yml", "groups:\n  - name: x\n", T2);
      const row = await repo.getFile(a, "rules.yml");
      assert.deepEqual({ ...row }, { user_id: a, name: "rules.yml", content: "groups:\n  - name: x\n", created_at: T1, updated_at: T2 });
    });

    it("scopes every read and delete by user", async () => {
      const repo = createRulesRepository(database.db);
      const [a, b] = users as [string, string];
      await repo.putFile(a, "defaults/seed-002.yml", "groups: []\n", T1);
      await repo.putFile(a, "defaults/node-exporter.yml", "groups: []\n", T1);
      await repo.putFile(b, "rules.yml", "groups: []\n", T1);
      assert.deepEqual((await repo.listFiles(a)).map((r) => r.name), ["defaults/node-exporter.yml", "defaults/seed-002.yml", "rules.yml"]);
      assert.deepEqual((await repo.listFiles(b)).map((r) => r.name), ["rules.yml"]);
      assert.equal(await repo.getFile(b, "defaults/seed-002.yml"), undefined);
      assert.equal(await repo.deleteFiles(b, "defaults/"), 0, "b has no defaults; a's are untouched");
      assert.equal((await repo.listFiles(a)).length, 3);
      assert.equal(await repo.deleteFiles(a, "defaults/"), 2);
      assert.deepEqual((await repo.listFiles(a)).map((r) => r.name), ["rules.yml"]);
      const withRules = await repo.listUsersWithRules();
      assert.ok(withRules.includes(a) && withRules.includes(b));
    });

    it("removes a user's files with the user", async () => {
      const repo = createRulesRepository(database.db);
      const [, b] = users as [string, string];
      await database.db.deleteFrom("users").where("id", "=", b).execute();
      assert.deepEqual(await repo.listFiles(b), []);
    });
  });
}
