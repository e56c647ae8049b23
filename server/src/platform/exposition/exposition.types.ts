/** The two exposition formats a scrape can return (protobuf is never requested, see content-negotiation.ts). */
export type ExpositionFormat = "prometheus" | "openmetrics";

/** OpenMetrics 1.0 metric types; text format 0.0.4's `untyped` is reported as `unknown`. */
export type MetricType = "counter" | "gauge" | "histogram" | "gaugehistogram" | "summary" | "info" | "stateset" | "unknown";

export interface ExpositionSample {
  /** Every label of the series, `__name__` included; labels with an empty value are absent, as in Prometheus. */
  labels: Record<string, string>;
  value: number;
  /** Present only when the exposition gave one (text format: integer ms; OpenMetrics: seconds, truncated to ms). */
  timestampMs?: number;
}

export interface MetricMetadata {
  name: string;
  type: MetricType;
  help: string;
  unit: string;
}

/** Bounds that keep a hostile or broken exporter from exhausting memory or CPU. */
export interface ExpositionLimits {
  maxSamples: number;
  /** `__name__` included. */
  maxLabelsPerSeries: number;
  maxLabelNameLength: number;
  /** Also bounds the metric name, which is the value of `__name__`. */
  maxLabelValueLength: number;
  /** In characters; a text-format label value spanning lines counts towards the line it starts on. */
  maxLineLength: number;
  /** Metric families with a HELP, TYPE or UNIT line (metadata lines need no samples, so maxSamples does not bound them). */
  maxMetricFamilies: number;
}

/**
 * `strict` applies every OpenMetrics 1.0 rule (metric families, histogram and counter semantics);
 * `prometheus` accepts what Prometheus 2.42's scraper accepts. Text format 0.0.4 is always parsed
 * like Prometheus 2.42.
 */
export type OpenMetricsValidation = "strict" | "prometheus";

export interface ParseExpositionOptions extends Partial<ExpositionLimits> {
  openMetricsValidation?: OpenMetricsValidation;
}

export interface ParsedExposition {
  format: ExpositionFormat;
  samples: ExpositionSample[];
  /** One entry per metric family that had a HELP, TYPE or UNIT line, in order of first appearance. */
  metadata: MetricMetadata[];
}

export const DEFAULT_EXPOSITION_LIMITS: ExpositionLimits = {
  maxSamples: 1_000_000,
  maxLabelsPerSeries: 128,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 16_384,
  maxLineLength: 1_048_576,
  maxMetricFamilies: 100_000,
};
