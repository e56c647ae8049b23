import type { Db } from "#server/storage/database.ts";
import { createAlertingRepository } from "#server/modules/alerting/alerting.repository.ts";
import { createAlertingService, type AlertingDeps } from "#server/modules/alerting/alerting.service.ts";

export type { AlertingService } from "#server/modules/alerting/alerting.service.ts";
export type { AlertUpdate } from "#server/modules/alerting/alert-model.ts";
export { createAlertingRepository } from "#server/modules/alerting/alerting.repository.ts";
export { fingerprintOf } from "#server/modules/alerting/labels.rules.ts";

export function createAlertingModule(deps: Omit<AlertingDeps, "repository" | "db"> & { db: Db }) {
  return createAlertingService({ ...deps, repository: createAlertingRepository(deps.db) });
}
