import { describeNotificationsRepositoryContract } from "#test/repositories/notifications.repository.contract.ts";
import { onSqlite } from "#test/repositories/on-sqlite.ts";

onSqlite(describeNotificationsRepositoryContract);
