import { describeAiUsageRepositoryContract } from "#test/repositories/ai-usage.repository.contract.ts";
import { onPostgres } from "#e2e/support/postgres-contract.ts";

onPostgres(describeAiUsageRepositoryContract);
