/**
 * What the host collector produces: samples named and labelled like node_exporter's, plus one
 * metadata entry per metric family in the shape the metadata module stores.
 */

/**
 * "unknown" is Prometheus's metadata name for the text format's "untyped", which node_exporter
 * uses for /proc/vmstat fields; `*_info` families are gauges there, so there is no "info" here.
 */
export type HostMetricType = "counter" | "gauge" | "unknown";

export interface HostSample {
  /** Includes `__name__`. */
  labels: Record<string, string>;
  value: number;
}

export interface HostMetadata {
  metric_family_name: string;
  type: HostMetricType;
  help: string;
  unit: "";
}

export interface HostSnapshot {
  samples: HostSample[];
  metadata: HostMetadata[];
}
