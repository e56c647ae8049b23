import { describeRulesRepositoryContract } from "#test/repositories/rules.repository.contract.ts";
import { onPostgres } from "#e2e/support/postgres-contract.ts";

onPostgres(describeRulesRepositoryContract);
