import type { DerivedSignal, SignalObservation } from "#server/modules/rca/signals.rules.ts";

/** How values and signals read in evidence claims and RCA text. Pure. */

export const SIGNAL_LABELS: Readonly<Record<DerivedSignal, string>> = {
  memory_available_ratio: "available memory",
  swap_used_ratio: "swap in use",
  major_faults_rate: "major page faults",
  cpu_busy_share: "CPU busy time (user + system)",
  cpu_iowait_share: "CPU I/O wait",
  cpu_steal_share: "CPU steal time",
  load_per_cpu: "load per CPU",
  filesystem_avail_ratio: "free filesystem space",
  filesystem_fill_forecast: "free space forecast 4 h ahead",
  disk_busy_ratio: "disk busy time",
  disk_read_rate: "disk reads",
  disk_write_rate: "disk writes",
  network_errors_rate: "network interface errors",
  network_drops_rate: "dropped packets",
  process_restarts: "process restarts",
  up: "target up",
  service: "service series",
};

const SI = ["", "k", "M", "G", "T", "P"];

function scaled(value: number, base: number, suffix: string): string {
  let v = Math.abs(value);
  let i = 0;
  while (v >= base && i < SI.length - 1) {
    v /= base;
    i++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${value < 0 ? "-" : ""}${Number(v.toFixed(digits))}${SI[i]}${suffix}`;
}

/** A value in its unit: 0.42 ratio → "42%", 3.2e9 bytes → "3.2GB", 0.35 seconds → "350ms". */
export function formatValue(value: number, unit: string | null): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case "ratio": {
      const pct = value * 100;
      return `${Math.abs(pct) >= 10 ? Math.round(pct) : Number(pct.toFixed(1))}%`;
    }
    case "bytes":
      return scaled(value, 1000, "B");
    case "bytes_per_second":
      return scaled(value, 1000, "B/s");
    case "per_second":
      return `${scaled(value, 1000, "")}/s`;
    case "seconds":
      return Math.abs(value) < 1 ? `${Number((value * 1000).toFixed(value * 1000 >= 10 ? 0 : 1))}ms` : `${Number(value.toFixed(2))}s`;
    case "count":
      return String(Math.round(value));
    default:
      return scaled(value, 1000, "");
  }
}

/** "14:05 UTC" */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

export function formatMinutes(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  return `${Number((minutes / 60).toFixed(1))} h`;
}

/** The series' distinguishing labels: mountpoint, device, mode, peer… (instance and job left out). */
export function labelText(labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .filter((k) => !["__name__", "instance", "job", "fstype", "quantile"].includes(k))
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** What a signal is called, on which instance: "available memory on web-1:9100", "free filesystem space on db-1:9100 (mountpoint=/data)". */
export function signalName(o: Pick<SignalObservation, "signal" | "labels" | "host">): string {
  const where = o.labels.instance ?? o.host;
  if (o.signal === "service") return `${o.labels.__name__ ?? "series"} on ${where}${labelText(o.labels)}`;
  const labels = { ...o.labels };
  if (o.signal === "cpu_iowait_share" || o.signal === "cpu_steal_share") delete labels.mode;
  return `${SIGNAL_LABELS[o.signal]} on ${where}${labelText(labels)}`;
}

/** "available memory on web-1:9100 fell from 58% to 2%" */
export function movementText(o: SignalObservation): string {
  const verb = o.direction === "down" ? "fell" : "rose";
  return `${signalName(o)} ${verb} from ${formatValue(o.baseline, o.unit)} to ${formatValue(o.peak, o.unit)}`;
}

/** The first letter in upper case, for a sentence that starts with a signal's name (a metric name stays as it is). */
export function capitalize(text: string): string {
  return /^[a-z]+(\s|$)/.test(text) ? text[0]!.toUpperCase() + text.slice(1) : text;
}

/** The metric a signal is computed from, as named in its query (the service series' own name). */
export function signalMetric(o: Pick<SignalObservation, "signal" | "labels" | "promql">): string | null {
  if (o.signal === "service") return o.labels.__name__ ?? null;
  return /\b(node_[A-Za-z0-9_]+|process_start_time_seconds|up)\b/.exec(o.promql)?.[1] ?? null;
}
