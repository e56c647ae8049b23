/**
 * The indicators of one host at one scrape, from node_exporter's series, as the feature vector
 * the per-host isolation forest learns: how the CPU time splits (iowait and steal included),
 * load per CPU, memory and swap pressure, major page faults, context switches, disk busy time,
 * network traffic and errors, and the fullest filesystem. Counters become per-second rates from
 * the previous scrape (a reset counts from zero, as Prometheus's rate() does).
 */

export const HOST_FEATURES = [
  "cpu_user",
  "cpu_system",
  "cpu_iowait",
  "cpu_steal",
  "load_per_cpu",
  "memory_available_ratio",
  "swap_used_ratio",
  "major_faults_per_second",
  "context_switches_per_second",
  "disk_busy_ratio",
  "network_bytes_per_second",
  "network_errors_per_second",
  "filesystem_free_ratio_min",
] as const;
export type HostFeature = (typeof HOST_FEATURES)[number];

export interface HostSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Counter values of the previous scrape, by series, to turn counters into rates. */
export interface HostFeatureState {
  readonly previous: Map<string, number>;
  previousT: number;
}

export function newHostFeatureState(): HostFeatureState {
  return { previous: new Map(), previousT: Number.NaN };
}

const CPU_MODES: Readonly<Record<string, HostFeature>> = { user: "cpu_user", system: "cpu_system", iowait: "cpu_iowait", steal: "cpu_steal" };

function counterKey(labels: Readonly<Record<string, string>>): string {
  let key = "";
  for (const name in labels) key += `${name}=${labels[name]},`;
  return key;
}

/**
 * The host's feature vector at `t` (ms) from all its samples of that scrape, in HOST_FEATURES
 * order; undefined for the first scrape (no rates yet) or when the host exposes no CPU series.
 * Features a host does not expose (no swap, no filesystems) are 0.
 */
export function hostFeatures(state: HostFeatureState, samples: readonly HostSample[], t: number): Float64Array | undefined {
  const dt = (t - state.previousT) / 1000;
  const hasRates = Number.isFinite(dt) && dt > 0;
  const current = new Map<string, number>();
  const rate = (labels: Readonly<Record<string, string>>, value: number): number => {
    const key = counterKey(labels);
    current.set(key, value);
    const before = state.previous.get(key);
    if (!hasRates || before === undefined) return Number.NaN;
    return (value >= before ? value - before : value) / dt;
  };

  const out = new Float64Array(HOST_FEATURES.length);
  const at = (f: HostFeature): number => HOST_FEATURES.indexOf(f);
  const cpus = new Set<string>();
  let memTotal = Number.NaN;
  let memAvailable = Number.NaN;
  let swapTotal = Number.NaN;
  let swapFree = Number.NaN;
  let load1 = Number.NaN;
  let fsFreeMin = Number.POSITIVE_INFINITY;
  const fsSize = new Map<string, number>();
  const fsAvail = new Map<string, number>();

  for (const { labels, value } of samples) {
    if (!Number.isFinite(value)) continue;
    switch (labels.__name__) {
      case "node_cpu_seconds_total": {
        cpus.add(labels.cpu ?? "");
        const r = rate(labels, value);
        const feature = CPU_MODES[labels.mode ?? ""];
        if (feature !== undefined && Number.isFinite(r)) out[at(feature)]! += r;
        break;
      }
      case "node_load1":
        load1 = value;
        break;
      case "node_memory_MemTotal_bytes":
        memTotal = value;
        break;
      case "node_memory_MemAvailable_bytes":
        memAvailable = value;
        break;
      case "node_memory_SwapTotal_bytes":
        swapTotal = value;
        break;
      case "node_memory_SwapFree_bytes":
        swapFree = value;
        break;
      case "node_vmstat_pgmajfault":
        out[at("major_faults_per_second")] = Math.max(0, rate(labels, value) || 0);
        break;
      case "node_context_switches_total":
        out[at("context_switches_per_second")] = Math.max(0, rate(labels, value) || 0);
        break;
      case "node_disk_io_time_seconds_total":
        out[at("disk_busy_ratio")] = Math.max(out[at("disk_busy_ratio")]!, rate(labels, value) || 0);
        break;
      case "node_network_receive_bytes_total":
      case "node_network_transmit_bytes_total":
        if (labels.device !== "lo") out[at("network_bytes_per_second")]! += rate(labels, value) || 0;
        break;
      case "node_network_receive_errs_total":
      case "node_network_transmit_errs_total":
        if (labels.device !== "lo") out[at("network_errors_per_second")]! += rate(labels, value) || 0;
        break;
      case "node_filesystem_size_bytes":
        fsSize.set(labels.mountpoint ?? "", value);
        break;
      case "node_filesystem_avail_bytes":
        fsAvail.set(labels.mountpoint ?? "", value);
        break;
      default:
        break;
    }
  }

  state.previous.clear();
  for (const [key, value] of current) state.previous.set(key, value);
  state.previousT = t;
  if (!hasRates || cpus.size === 0) return undefined;

  for (const mode of Object.values(CPU_MODES)) out[at(mode)]! /= cpus.size;
  out[at("load_per_cpu")] = Number.isFinite(load1) ? load1 / cpus.size : 0;
  out[at("memory_available_ratio")] = memTotal > 0 && Number.isFinite(memAvailable) ? memAvailable / memTotal : 0;
  out[at("swap_used_ratio")] = swapTotal > 0 && Number.isFinite(swapFree) ? (swapTotal - swapFree) / swapTotal : 0;
  for (const [mountpoint, size] of fsSize) {
    const avail = fsAvail.get(mountpoint);
    if (size > 0 && avail !== undefined) fsFreeMin = Math.min(fsFreeMin, avail / size);
  }
  out[at("filesystem_free_ratio_min")] = Number.isFinite(fsFreeMin) ? fsFreeMin : 0;
  return out;
}
