/**
 * Which PromQL range queries gather the evidence for an incident: for every host its anomalies
 * touch (by the host part of `instance`, so `web-1:9100` and `web-1:8080` are one host) the
 * node_exporter signals behind the known failure modes, and every non-node series an anomaly sits
 * on (service latency, errors) as it is. Pure: the service runs the queries.
 */

export type SignalName =
  | "memory_available_ratio"
  | "swap_used_ratio"
  | "major_faults_rate"
  | "cpu_mode_share"
  | "load_per_cpu"
  | "filesystem_avail_ratio"
  | "filesystem_fill_forecast"
  | "disk_busy_ratio"
  | "disk_read_rate"
  | "disk_write_rate"
  | "network_errors_rate"
  | "network_drops_rate"
  | "process_restarts"
  | "up"
  | "service";

export interface EvidenceQuery {
  /** Stable key of the query within one analysis ("q1", …). */
  key: string;
  signal: SignalName;
  /** Host name without port; "" for a service series without an instance label. */
  host: string;
  promql: string;
  unit: string | null;
  /** For `service` queries: the anomaly whose series this is, and its metric. */
  anomalyId: string | null;
  metric: string | null;
}

/** The part of an anomaly record the planning and ranking read. */
export interface AnomalyInput {
  id: string;
  metric: string;
  labels: Readonly<Record<string, string>>;
  started_at: string;
  ended_at: string | null;
  peak_score: number;
  peak_at: string;
  observed: number;
  expected: number;
  lower: number;
  upper: number;
  direction: "up" | "down";
  contributors: ReadonlyArray<{ indicator: string; weight: number }>;
}

/** Labels that name the other end of a call: the series measures a dependency. */
export const PEER_LABELS = [
  "peer",
  "upstream",
  "downstream",
  "dependency",
  "remote",
  "target_service",
  "db",
  "server_address",
  "net_peer_name",
  "peer_service",
  "destination",
  "backend",
] as const;

/** `web-1:9100` → `web-1`; IPv6 in brackets and URLs are handled; an empty instance stays empty. */
export function hostOf(instance: string): string {
  let s = instance.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  s = s.replace(/\/.*$/, "");
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracket) return bracket[1]!;
  const port = /^(.*):\d+$/.exec(s);
  return port && !port[1]!.includes(":") ? port[1]! : s;
}

/** The value of the first peer-ish label of a series, if any. */
export function peerOf(labels: Readonly<Record<string, string>>): { label: string; value: string } | undefined {
  for (const label of PEER_LABELS) {
    const value = labels[label];
    if (value !== undefined && value !== "") return { label, value };
  }
  return undefined;
}

export function isLatencyMetric(metric: string): boolean {
  return /(duration|latency|response_?time|rtt|_wait_seconds|time_seconds$)/i.test(metric) && !/^node_/.test(metric);
}

export function isCounterMetric(metric: string): boolean {
  return /(_total|_count|_sum|_bucket|^node_vmstat_\w+)$/.test(metric);
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A PromQL double-quoted string literal. */
export function promqlString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** A matcher for every instance on `host` (any port or none). */
export function hostMatcher(host: string): string {
  return `instance=~${promqlString(`${escapeRegex(host)}(:[0-9]+)?`)}`;
}

/** `metric{a="x",b="y"}` for exactly the series, `__name__` left out of the braces. */
export function seriesSelector(metric: string, labels: Readonly<Record<string, string>>): string {
  const matchers = Object.keys(labels)
    .filter((k) => k !== "__name__")
    .sort()
    .map((k) => `${k}=${promqlString(labels[k]!)}`);
  return `${metric}{${matchers.join(",")}}`;
}

const REAL_FS = 'fstype!~"tmpfs|ramfs|overlay|squashfs|nsfs|devtmpfs|autofs"';

/** The node_exporter queries of one host, in a fixed order. */
export function hostQueries(host: string): Array<Omit<EvidenceQuery, "key" | "host" | "anomalyId" | "metric">> {
  const h = hostMatcher(host);
  return [
    { signal: "memory_available_ratio", unit: "ratio", promql: `node_memory_MemAvailable_bytes{${h}} / node_memory_MemTotal_bytes{${h}}` },
    {
      signal: "swap_used_ratio",
      unit: "ratio",
      promql: `(node_memory_SwapTotal_bytes{${h}} - node_memory_SwapFree_bytes{${h}}) / (node_memory_SwapTotal_bytes{${h}} > 0)`,
    },
    { signal: "major_faults_rate", unit: "per_second", promql: `rate(node_vmstat_pgmajfault{${h}}[5m])` },
    { signal: "cpu_mode_share", unit: "ratio", promql: `avg by (instance, mode) (rate(node_cpu_seconds_total{${h},mode!="idle"}[5m]))` },
    {
      signal: "load_per_cpu",
      unit: "ratio",
      promql: `node_load1{${h}} / on (instance) count by (instance) (node_cpu_seconds_total{${h},mode="idle"})`,
    },
    {
      signal: "filesystem_avail_ratio",
      unit: "ratio",
      promql: `node_filesystem_avail_bytes{${h},${REAL_FS}} / node_filesystem_size_bytes{${h},${REAL_FS}}`,
    },
    { signal: "filesystem_fill_forecast", unit: "bytes", promql: `predict_linear(node_filesystem_avail_bytes{${h},${REAL_FS}}[1h], 4 * 3600)` },
    { signal: "disk_busy_ratio", unit: "ratio", promql: `rate(node_disk_io_time_seconds_total{${h}}[5m])` },
    { signal: "disk_read_rate", unit: "bytes_per_second", promql: `rate(node_disk_read_bytes_total{${h}}[5m])` },
    { signal: "disk_write_rate", unit: "bytes_per_second", promql: `rate(node_disk_written_bytes_total{${h}}[5m])` },
    { signal: "network_errors_rate", unit: "per_second", promql: `rate(node_network_receive_errs_total{${h},device!="lo"}[5m])` },
    { signal: "network_errors_rate", unit: "per_second", promql: `rate(node_network_transmit_errs_total{${h},device!="lo"}[5m])` },
    { signal: "network_drops_rate", unit: "per_second", promql: `rate(node_network_receive_drop_total{${h},device!="lo"}[5m])` },
    { signal: "network_drops_rate", unit: "per_second", promql: `rate(node_network_transmit_drop_total{${h},device!="lo"}[5m])` },
    { signal: "process_restarts", unit: "count", promql: `changes(process_start_time_seconds{${h}}[10m])` },
    { signal: "process_restarts", unit: "count", promql: `changes(node_boot_time_seconds{${h}}[10m])` },
    { signal: "up", unit: null, promql: `up{${h}}` },
  ];
}

/** The query showing an anomaly's own series: its rate for a counter, its value otherwise. */
export function anomalySeriesQuery(anomaly: Pick<AnomalyInput, "metric" | "labels">): string {
  const selector = seriesSelector(anomaly.metric, anomaly.labels);
  return isCounterMetric(anomaly.metric) ? `rate(${selector}[5m])` : selector;
}

/** Hosts an incident touches: its anomalies' instances, and the peers their series name. */
export function incidentHosts(anomalies: readonly AnomalyInput[]): string[] {
  const hosts = new Set<string>();
  for (const a of anomalies) {
    const instance = a.labels.instance;
    if (instance !== undefined && instance !== "") hosts.add(hostOf(instance));
    const peer = peerOf(a.labels);
    if (peer) hosts.add(hostOf(peer.value));
  }
  return [...hosts].sort();
}

/** Every query of an incident, in a deterministic order; at most `maxHosts` hosts (the most anomalous first). */
export function planEvidenceQueries(anomalies: readonly AnomalyInput[], options: { maxHosts?: number; maxServiceSeries?: number } = {}): EvidenceQuery[] {
  const maxHosts = options.maxHosts ?? 8;
  const maxService = options.maxServiceSeries ?? 24;
  const weight = new Map<string, number>();
  for (const host of incidentHosts(anomalies)) weight.set(host, 0);
  for (const a of anomalies) {
    const instance = a.labels.instance;
    if (instance !== undefined && instance !== "") weight.set(hostOf(instance), (weight.get(hostOf(instance)) ?? 0) + Math.min(a.peak_score, 10));
  }
  const hosts = [...weight.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, maxHosts)
    .map(([h]) => h)
    .sort();
  const queries: EvidenceQuery[] = [];
  for (const host of hosts) for (const q of hostQueries(host)) queries.push({ ...q, key: "", host, anomalyId: null, metric: null });
  const service = anomalies
    .filter((a) => !a.metric.startsWith("node_") && a.metric !== "host" && !a.metric.startsWith("auspex_"))
    .sort((a, b) => b.peak_score - a.peak_score || a.id.localeCompare(b.id))
    .slice(0, maxService)
    .sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id.localeCompare(b.id));
  for (const a of service) {
    queries.push({
      key: "",
      signal: "service",
      host: hostOf(a.labels.instance ?? ""),
      promql: anomalySeriesQuery(a),
      unit: isLatencyMetric(a.metric) && /seconds/.test(a.metric) ? "seconds" : null,
      anomalyId: a.id,
      metric: a.metric,
    });
  }
  return queries.map((q, i) => ({ ...q, key: `q${i + 1}` }));
}
