/**
 * The series detection writes back, queryable with PromQL: for a source series
 * `node_load1{instance="a"}` they are `auspex_anomaly_score{source_metric="node_load1",instance="a"}`
 * and likewise `auspex_expected`, `auspex_band_lower`, `auspex_band_upper`. The source's labels
 * are kept; its name moves to `source_metric` (a source label of that name becomes
 * `exported_source_metric`, as Prometheus renames colliding labels).
 */

export const OUTPUT_METRICS = ["auspex_anomaly_score", "auspex_expected", "auspex_band_lower", "auspex_band_upper"] as const;
export type OutputMetric = (typeof OUTPUT_METRICS)[number];

/** Series detection never scores: its own output, and the per-scrape bookkeeping series. */
export function isDetectable(metric: string): boolean {
  return metric !== "" && !metric.startsWith("auspex_") && !metric.startsWith("scrape_");
}

/** The labels of one output series for `source` (which includes `__name__`). */
export function outputLabels(source: Readonly<Record<string, string>>, metric: OutputMetric): Record<string, string> {
  const { __name__: name = "", ...rest } = source;
  const out: Record<string, string> = { ...rest };
  if (out.source_metric !== undefined) {
    out.exported_source_metric = out.source_metric;
  }
  out.source_metric = name;
  out.__name__ = metric;
  return out;
}
