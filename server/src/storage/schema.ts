import type { MetricMetadataTable } from "#server/storage/tables/metric-metadata.table.ts";
import type { TargetsTable } from "#server/storage/tables/targets.table.ts";
import type { AnomaliesTable } from "#server/storage/tables/anomalies.table.ts";
import type { DetectorStatesTable } from "#server/storage/tables/detector-states.table.ts";
import type { DetectionSettingsTable } from "#server/storage/tables/detection-settings.table.ts";
import type { ApiKeysTable, RefreshTokensTable, SessionsTable, UsersTable } from "#server/storage/tables/accounts.table.ts";

/** Every table of the state database; modules' repositories query through Kysely<Schema>. */
export interface Schema {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  api_keys: ApiKeysTable;
  metric_metadata: MetricMetadataTable;
  targets: TargetsTable;
  anomalies: AnomaliesTable;
  detector_states: DetectorStatesTable;
  detection_settings: DetectionSettingsTable;
}
