import { describeIncidentsRepositoryContract } from "#test/repositories/incidents.repository.contract.ts";
import { onPostgres } from "#e2e/support/postgres-contract.ts";

onPostgres(describeIncidentsRepositoryContract);
