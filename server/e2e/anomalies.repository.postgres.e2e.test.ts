import { describeAnomaliesRepositoryContract } from "#test/repositories/anomalies.repository.contract.ts";
import { onPostgres } from "#e2e/support/postgres-contract.ts";

onPostgres(describeAnomaliesRepositoryContract);
