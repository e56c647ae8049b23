import { describeAiUsageRepositoryContract } from "#test/repositories/ai-usage.repository.contract.ts";
import { onSqlite } from "#test/repositories/on-sqlite.ts";

onSqlite(describeAiUsageRepositoryContract);
