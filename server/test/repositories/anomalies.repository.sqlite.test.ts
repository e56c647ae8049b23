import { describeAnomaliesRepositoryContract } from "#test/repositories/anomalies.repository.contract.ts";
import { onSqlite } from "#test/repositories/on-sqlite.ts";

onSqlite(describeAnomaliesRepositoryContract);
