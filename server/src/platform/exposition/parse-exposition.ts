import { selectExpositionFormat } from "#server/platform/exposition/content-negotiation.ts";
import { decodeBody } from "#server/platform/exposition/decode-body.ts";
import {
  DEFAULT_EXPOSITION_LIMITS,
  type ExpositionLimits,
  type ParsedExposition,
  type ParseExpositionOptions,
} from "#server/platform/exposition/exposition.types.ts";
import { parseOpenMetrics } from "#server/platform/exposition/openmetrics.parse.ts";
import { parsePrometheusText } from "#server/platform/exposition/prometheus-text.parse.ts";

/**
 * Parses a scrape response body. The format comes from the response's Content-Type (see
 * selectExpositionFormat); OpenMetrics is validated strictly unless `openMetricsValidation` is
 * "prometheus". Throws ExpositionError, naming the line, for a malformed body or an exceeded limit.
 */
export function parseExposition(body: string | Uint8Array, contentType: string | undefined, options: ParseExpositionOptions = {}): ParsedExposition {
  const limits: ExpositionLimits = {
    maxSamples: options.maxSamples ?? DEFAULT_EXPOSITION_LIMITS.maxSamples,
    maxLabelsPerSeries: options.maxLabelsPerSeries ?? DEFAULT_EXPOSITION_LIMITS.maxLabelsPerSeries,
    maxLabelNameLength: options.maxLabelNameLength ?? DEFAULT_EXPOSITION_LIMITS.maxLabelNameLength,
    maxLabelValueLength: options.maxLabelValueLength ?? DEFAULT_EXPOSITION_LIMITS.maxLabelValueLength,
    maxLineLength: options.maxLineLength ?? DEFAULT_EXPOSITION_LIMITS.maxLineLength,
    maxMetricFamilies: options.maxMetricFamilies ?? DEFAULT_EXPOSITION_LIMITS.maxMetricFamilies,
  };
  const text = decodeBody(body);
  return selectExpositionFormat(contentType) === "openmetrics"
    ? parseOpenMetrics(text, limits, options.openMetricsValidation ?? "strict")
    : parsePrometheusText(text, limits);
}
