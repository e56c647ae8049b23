import { describeNotificationsRepositoryContract } from "#test/repositories/notifications.repository.contract.ts";
import { onPostgres } from "#e2e/support/postgres-contract.ts";

onPostgres(describeNotificationsRepositoryContract);
