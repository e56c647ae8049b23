import { promqlString, type EvidenceQuery, type SignalName } from "#server/modules/rca/evidence-queries.rules.ts";

/**
 * From the evidence queries' results to signal observations: for each series, its baseline (median
 * and robust spread before the incident), when it first left that baseline in its harmful
 * direction and stayed out (the onset), its worst value, and whether it crossed the signal's
 * saturation threshold. Pure.
 */

/** The queried signals, with the CPU mode shares split by mode. */
export type DerivedSignal = Exclude<SignalName, "cpu_mode_share"> | "cpu_busy_share" | "cpu_iowait_share" | "cpu_steal_share";

export interface ResultSeries {
  labels: Readonly<Record<string, string>>;
  points: ReadonlyArray<{ t: number; v: number }>;
}

export interface QueryResult {
  query: EvidenceQuery;
  series: readonly ResultSeries[];
}

export interface SignalObservation {
  signal: DerivedSignal;
  host: string;
  labels: Readonly<Record<string, string>>;
  promql: string;
  unit: string | null;
  /** Median before the incident. */
  baseline: number;
  /** Worst value in the incident window (lowest for a "down" signal). */
  peak: number;
  peakAt: number;
  /** First time (ms) the series left its baseline in the harmful direction and stayed out; null when it never did. */
  onset: number | null;
  saturated: boolean;
  /** |peak − baseline| in units of the deviation threshold (≥ 1 when there is an onset). */
  deviation: number;
  direction: "up" | "down";
  anomalyId: string | null;
}

interface SignalSpec {
  direction: "up" | "down";
  /** Smallest change that counts, given the baseline. */
  minDelta: (baseline: number) => number;
  /** Past the point where the resource is exhausted or clearly failing. */
  saturated: (peak: number, baseline: number) => boolean;
}

const SPECS: Readonly<Record<Exclude<DerivedSignal, "service">, SignalSpec>> = {
  memory_available_ratio: { direction: "down", minDelta: () => 0.05, saturated: (p) => p < 0.1 },
  swap_used_ratio: { direction: "up", minDelta: () => 0.05, saturated: (p, b) => p - b > 0.15 },
  major_faults_rate: { direction: "up", minDelta: (b) => Math.max(20, 3 * Math.abs(b)), saturated: (p) => p > 100 },
  cpu_busy_share: { direction: "up", minDelta: () => 0.15, saturated: (p) => p > 0.85 },
  cpu_iowait_share: { direction: "up", minDelta: () => 0.05, saturated: (p) => p > 0.15 },
  cpu_steal_share: { direction: "up", minDelta: () => 0.04, saturated: (p) => p > 0.1 },
  load_per_cpu: { direction: "up", minDelta: (b) => Math.max(0.5, 0.5 * Math.abs(b)), saturated: (p) => p > 1.5 },
  filesystem_avail_ratio: { direction: "down", minDelta: () => 0.05, saturated: (p) => p < 0.1 },
  filesystem_fill_forecast: { direction: "down", minDelta: (b) => Math.max(1e9, 0.25 * Math.abs(b)), saturated: (p) => p < 0 },
  disk_busy_ratio: { direction: "up", minDelta: () => 0.2, saturated: (p) => p > 0.8 },
  disk_read_rate: { direction: "up", minDelta: (b) => Math.max(5e6, 3 * Math.abs(b)), saturated: () => false },
  disk_write_rate: { direction: "up", minDelta: (b) => Math.max(5e6, 3 * Math.abs(b)), saturated: () => false },
  network_errors_rate: { direction: "up", minDelta: (b) => Math.max(0.5, 3 * Math.abs(b)), saturated: (p) => p > 2 },
  network_drops_rate: { direction: "up", minDelta: (b) => Math.max(1, 3 * Math.abs(b)), saturated: (p) => p > 5 },
  process_restarts: { direction: "up", minDelta: () => 0.5, saturated: (p) => p >= 1 },
  up: { direction: "down", minDelta: () => 0.5, saturated: (p) => p < 0.5 },
};

/** How many robust standard deviations a change must also exceed. */
const SIGMA_K = 4;
/** The onset must hold for this many of the next samples (itself included). */
const HOLD = 3;
const HOLD_WINDOW = 5;

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface WindowOptions {
  /** Baseline samples are before this (ms). */
  baselineEnd: number;
  /** The onset is looked for from baselineEnd to this (ms). */
  to: number;
}

/** Baseline, onset, peak and saturation of one series. */
export function observeSeries(
  points: ReadonlyArray<{ t: number; v: number }>,
  spec: { direction: "up" | "down"; minDelta: (baseline: number) => number; saturated: (peak: number, baseline: number) => boolean },
  window: WindowOptions,
): Pick<SignalObservation, "baseline" | "peak" | "peakAt" | "onset" | "saturated" | "deviation" | "direction"> | undefined {
  const valid = points.filter((p) => Number.isFinite(p.v));
  let before = valid.filter((p) => p.t < window.baselineEnd).map((p) => p.v);
  const after = valid.filter((p) => p.t >= window.baselineEnd && p.t <= window.to);
  if (after.length === 0) return undefined;
  if (before.length < 5) before = after.slice(0, Math.max(1, Math.floor(after.length / 5))).map((p) => p.v);
  const base = median(before);
  const mad = median(before.map((v) => Math.abs(v - base)));
  const threshold = Math.max(SIGMA_K * 1.4826 * mad, spec.minDelta(base));
  const sign = spec.direction === "up" ? 1 : -1;
  const bad = (v: number) => sign * (v - base) > threshold;
  let onset: number | null = null;
  for (let i = 0; i < after.length && onset === null; i++) {
    if (!bad(after[i]!.v)) continue;
    const windowEnd = Math.min(after.length, i + HOLD_WINDOW);
    let held = 0;
    for (let j = i; j < windowEnd; j++) if (bad(after[j]!.v)) held++;
    if (held >= Math.min(HOLD, windowEnd - i)) onset = after[i]!.t;
  }
  let peak = after[0]!;
  for (const p of after) if (sign * (p.v - peak.v) > 0) peak = p;
  const deviation = Math.max(0, (sign * (peak.v - base)) / threshold);
  return {
    baseline: base,
    peak: peak.v,
    peakAt: peak.t,
    onset,
    saturated: onset !== null && spec.saturated(peak.v, base),
    deviation,
    direction: spec.direction,
  };
}

const BUSY_MODES = new Set(["user", "system", "nice", "irq", "softirq"]);

/** Service series: the anomaly's direction is the harmful one; half its baseline is the smallest change that counts. */
function serviceSpec(direction: "up" | "down"): SignalSpec {
  return { direction, minDelta: (b) => Math.max(0.5 * Math.abs(b), 1e-9), saturated: (p, b) => (direction === "up" ? p > 3 * b && b > 0 : p < b / 3) };
}

/** Sums series point by point (by timestamp). */
function sumSeries(series: readonly ResultSeries[]): Array<{ t: number; v: number }> {
  const sums = new Map<number, number>();
  for (const s of series) for (const p of s.points) if (Number.isFinite(p.v)) sums.set(p.t, (sums.get(p.t) ?? 0) + p.v);
  return [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
}

/** Every signal observation of the results (CPU modes become busy, iowait and steal shares). */
export function observeSignals(results: readonly QueryResult[], window: WindowOptions, anomalyDirection: (anomalyId: string) => "up" | "down"): SignalObservation[] {
  const out: SignalObservation[] = [];
  const push = (signal: DerivedSignal, q: EvidenceQuery, labels: Readonly<Record<string, string>>, points: ReadonlyArray<{ t: number; v: number }>, spec: SignalSpec, promql = q.promql) => {
    const o = observeSeries(points, spec, window);
    if (o) out.push({ signal, host: q.host, labels, promql, unit: q.unit, anomalyId: q.anomalyId, ...o });
  };
  for (const { query: q, series } of results) {
    if (q.signal === "cpu_mode_share") {
      const byInstance = new Map<string, ResultSeries[]>();
      for (const s of series) {
        const instance = s.labels.instance ?? "";
        byInstance.set(instance, [...(byInstance.get(instance) ?? []), s]);
      }
      for (const [instance, modes] of [...byInstance.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
        const busy = modes.filter((s) => BUSY_MODES.has(s.labels.mode ?? ""));
        const sel = `instance=${promqlString(instance)}`;
        if (busy.length > 0) {
          push("cpu_busy_share", q, { instance }, sumSeries(busy), SPECS.cpu_busy_share, `sum by (instance) (avg by (instance, mode) (rate(node_cpu_seconds_total{${sel},mode=~"user|system|nice|irq|softirq"}[5m])))`);
        }
        for (const [mode, signal] of [
          ["iowait", "cpu_iowait_share"],
          ["steal", "cpu_steal_share"],
        ] as const) {
          const m = modes.find((s) => s.labels.mode === mode);
          if (m) push(signal, q, { instance, mode }, m.points, SPECS[signal], `avg by (instance) (rate(node_cpu_seconds_total{${sel},mode="${mode}"}[5m]))`);
        }
      }
      continue;
    }
    for (const s of [...series].sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))) {
      if (q.signal === "service") push("service", q, { ...(q.metric !== null && { __name__: q.metric }), ...s.labels }, s.points, serviceSpec(q.anomalyId === null ? "up" : anomalyDirection(q.anomalyId)));
      else push(q.signal, q, s.labels, s.points, SPECS[q.signal]);
    }
  }
  return out;
}
