import { describeTargetsRepositoryContract } from "#test/repositories/targets.repository.contract.ts";
import { onPostgres } from "#e2e/support/postgres-contract.ts";

onPostgres(describeTargetsRepositoryContract);
