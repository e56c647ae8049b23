import { describeAccountsRepositoryContract } from "#test/repositories/accounts.repository.contract.ts";
import { onSqlite } from "#test/repositories/on-sqlite.ts";

onSqlite(describeAccountsRepositoryContract);
