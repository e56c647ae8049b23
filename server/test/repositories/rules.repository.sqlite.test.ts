import { describeRulesRepositoryContract } from "#test/repositories/rules.repository.contract.ts";
import { onSqlite } from "#test/repositories/on-sqlite.ts";

onSqlite(describeRulesRepositoryContract);
