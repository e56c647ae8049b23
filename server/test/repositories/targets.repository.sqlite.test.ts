import { describeTargetsRepositoryContract } from "#test/repositories/targets.repository.contract.ts";
import { onSqlite } from "#test/repositories/on-sqlite.ts";

onSqlite(describeTargetsRepositoryContract);
