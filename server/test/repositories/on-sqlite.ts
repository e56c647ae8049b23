import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { openDatabase, type Database } from "#server/storage/database.ts";

/** Runs a repository contract suite on a SQLite file in a temporary directory. */
export function onSqlite(describeContract: (dialect: string, open: () => Promise<Database>) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), "auspex-repo-contract-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  describeContract("SQLite", () => openDatabase({ kind: "sqlite", path: path.join(dir, "auspex.db") }, { busyTimeoutMs: 5000 }));
}
