/** Which detector settings a series gets: the first of the user's rules it matches, else the user's default. */
import type { DetectionSettings, Sensitivity } from "@auspex/shared/contracts/detection.ts";
import type { DetectorConfig } from "#server/modules/detection/core/index.ts";

const SENSITIVITY: Readonly<Record<"low" | "medium" | "high", number>> = { low: 0.5, medium: 1, high: 2 };
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function sensitivityValue(s: Sensitivity): number {
  return typeof s === "number" ? s : SENSITIVITY[s];
}

const patterns = new Map<string, RegExp>();

function metricMatches(rule: string, metric: string): boolean {
  if (METRIC_NAME.test(rule)) return rule === metric;
  let re = patterns.get(rule);
  if (!re) patterns.set(rule, (re = new RegExp(`^(?:${rule})$`)));
  return re.test(metric);
}

/**
 * Prometheus's naming conventions mark counters; a counter that rarely moves (errors, drops)
 * would otherwise look like a flat gauge to the automatic choice and every increment like a step.
 */
const COUNTER_NAME = /_(total|count|sum|bucket)$/;

/** The detector config for a series (`labels` with `__name__`) under the user's settings, if any. */
export function seriesDetectorConfig(settings: DetectionSettings | undefined, labels: Readonly<Record<string, string>>, fallbackSensitivity: number): Partial<DetectorConfig> {
  const metric = labels.__name__ ?? "";
  const kind: Partial<DetectorConfig> = COUNTER_NAME.test(metric) ? { kind: "counter" } : {};
  if (!settings) return { sensitivity: fallbackSensitivity, ...kind };
  const rule = settings.rules.find(
    (r) => metricMatches(r.metric, metric) && Object.entries(r.labels ?? {}).every(([name, value]) => labels[name] === value),
  );
  const config: Partial<DetectorConfig> = { sensitivity: sensitivityValue(rule?.sensitivity ?? settings.sensitivity), ...kind };
  if (rule?.direction !== undefined) config.direction = rule.direction;
  if (rule?.min_relative_deviation !== undefined) config.minRelativeDeviation = rule.min_relative_deviation;
  if (rule?.min_history !== undefined) config.minHistory = rule.min_history;
  return config;
}
