import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { openDatabase } from "#server/storage/database.ts";
import { describeAccountsRepositoryContract } from "#test/repositories/accounts.repository.contract.ts";

const dir = mkdtempSync(path.join(tmpdir(), "auspex-repo-contract-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describeAccountsRepositoryContract("SQLite", () => openDatabase({ kind: "sqlite", path: path.join(dir, "auspex.db") }, { busyTimeoutMs: 5000 }));
