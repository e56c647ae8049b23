import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after } from "node:test";
import { openDatabase } from "#server/storage/database.ts";
import { describeTargetsRepositoryContract } from "#test/repositories/targets.repository.contract.ts";

const dir = mkdtempSync(path.join(tmpdir(), "auspex-targets-contract-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describeTargetsRepositoryContract("SQLite", () => openDatabase({ kind: "sqlite", path: path.join(dir, "auspex.db") }, { busyTimeoutMs: 5000 }));
