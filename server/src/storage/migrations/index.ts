import type { Migration } from "kysely/migration";
import type { DialectName } from "#server/storage/dialect.ts";
import { accountsMigration } from "#server/storage/migrations/0001-accounts.ts";
import { metricMetadataMigration } from "#server/storage/migrations/0002-metric-metadata.ts";
import { targetsMigration } from "#server/storage/migrations/0003-targets.ts";
import { anomaliesMigration } from "#server/storage/migrations/0004-anomalies.ts";
import { detectorStatesMigration } from "#server/storage/migrations/0005-detector-states.ts";
import { detectionSettingsMigration } from "#server/storage/migrations/0006-detection-settings.ts";
import { incidentsMigration } from "#server/storage/migrations/0007-incidents.ts";
import { aiUsageMigration } from "#server/storage/migrations/0008-ai-usage.ts";
import { rulesMigration } from "#server/storage/migrations/0009-rules.ts";
import { notificationsMigration } from "#server/storage/migrations/0010-notifications.ts";
import { alertingMigration } from "#server/storage/migrations/0011-alerting.ts";

/**
 * All migrations in order. Names sort lexically; never rename or edit one that
 * has shipped: add a new one. Portable by default, branching on the dialect
 * only where SQL differs.
 */
export function allMigrations(dialect: DialectName): Record<string, Migration> {
  return {
    "0001-accounts": accountsMigration(dialect),
    "0002-metric-metadata": metricMetadataMigration(dialect),
    "0003-targets": targetsMigration(dialect),
    "0004-anomalies": anomaliesMigration(dialect),
    "0005-detector-states": detectorStatesMigration(dialect),
    "0006-detection-settings": detectionSettingsMigration(dialect),
    "0007-incidents": incidentsMigration(dialect),
    "0008-ai-usage": aiUsageMigration(dialect),
    "0009-rules": rulesMigration(dialect),
    "0010-notifications": notificationsMigration(dialect),
    "0011-alerting": alertingMigration(dialect),
  };
}
