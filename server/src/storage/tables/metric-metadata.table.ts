/** HELP/TYPE/UNIT of a user's metric families, from remote_write metadata and (later) scrapes. */
export interface MetricMetadataTable {
  user_id: string;
  metric: string;
  type: string;
  help: string;
  unit: string;
  updated_at: string;
}
