import type { MetricMetadataTable } from "#server/storage/tables/metric-metadata.table.ts";
import type { TargetsTable } from "#server/storage/tables/targets.table.ts";
import type { AnomaliesTable } from "#server/storage/tables/anomalies.table.ts";
import type { DetectorStatesTable } from "#server/storage/tables/detector-states.table.ts";
import type { DetectionSettingsTable } from "#server/storage/tables/detection-settings.table.ts";
import type { AlertGroupsTable, AlertHistoryTable, AlertingConfigsTable, AlertsTable, MaintenanceWindowsTable, SilencesTable } from "#server/storage/tables/alerting.table.ts";
import type { AnalysisBatchesTable, IncidentEventsTable, IncidentsTable } from "#server/storage/tables/incidents.table.ts";
import type { AiUsageTable } from "#server/storage/tables/ai-usage.table.ts";
import type { RuleFilesTable } from "#server/storage/tables/rules.table.ts";
import type { NotificationAttemptsTable, NotificationChannelsTable, NotificationOutboxTable } from "#server/storage/tables/notifications.table.ts";
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
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  analysis_batches: AnalysisBatchesTable;
  alerting_configs: AlertingConfigsTable;
  alerts: AlertsTable;
  alert_groups: AlertGroupsTable;
  alert_history: AlertHistoryTable;
  silences: SilencesTable;
  maintenance_windows: MaintenanceWindowsTable;
  ai_usage: AiUsageTable;
  rule_files: RuleFilesTable;
  notification_channels: NotificationChannelsTable;
  notification_outbox: NotificationOutboxTable;
  notification_attempts: NotificationAttemptsTable;
}
