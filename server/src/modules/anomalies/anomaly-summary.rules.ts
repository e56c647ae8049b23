/** How an anomaly is described to people: "observed 800MB, expected 4GB". */

const SI = ["", "k", "M", "G", "T", "P", "E"];

function trim(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return Number(value.toFixed(digits)).toString();
}

function scaled(value: number, unit: string): string {
  let v = value;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < SI.length - 1) {
    v /= 1000;
    i++;
  }
  return `${trim(v)}${SI[i]}${unit}`;
}

/** A value in the unit its metric name says (node_exporter conventions: _bytes, _seconds, _ratio). */
export function formatMetricValue(metric: string, value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const base = metric.replace(/_total$/, "");
  if (base.endsWith("_bytes")) return scaled(value, "B");
  if (base.endsWith("_seconds")) {
    const abs = Math.abs(value);
    if (abs !== 0 && abs < 1) return `${trim(value * 1000)}ms`;
    return `${trim(value)}s`;
  }
  if (base.endsWith("_ratio")) return `${trim(value * 100)}%`;
  if (base.endsWith("_celsius")) return `${trim(value)}°C`;
  return Math.abs(value) >= 10_000 ? scaled(value, "") : trim(value);
}

/** "observed 800MB, expected 4GB (band 3.5GB–4.5GB)"; a counter's rates read "observed 3.2/s, expected 0.01/s …". */
export function summarizeAnomaly(metric: string, observed: number, expected: number, lower: number, upper: number, rate = false): string {
  const f = (v: number): string => `${formatMetricValue(metric, v)}${rate ? "/s" : ""}`;
  return `observed ${f(observed)}, expected ${f(expected)} (band ${f(lower)}–${f(upper)})`;
}
