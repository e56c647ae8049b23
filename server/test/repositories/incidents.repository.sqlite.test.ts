import { describeIncidentsRepositoryContract } from "#test/repositories/incidents.repository.contract.ts";
import { onSqlite } from "#test/repositories/on-sqlite.ts";

onSqlite(describeIncidentsRepositoryContract);
