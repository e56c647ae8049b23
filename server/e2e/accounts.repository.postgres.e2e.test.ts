import { describeAccountsRepositoryContract } from "#test/repositories/accounts.repository.contract.ts";
import { onPostgres } from "#e2e/support/postgres-contract.ts";

onPostgres(describeAccountsRepositoryContract);
