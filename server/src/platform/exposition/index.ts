export { SCRAPE_ACCEPT_HEADER, selectExpositionFormat } from "#server/platform/exposition/content-negotiation.ts";
export { ExpositionError } from "#server/platform/exposition/exposition-error.ts";
export {
  DEFAULT_EXPOSITION_LIMITS,
  type ExpositionFormat,
  type ExpositionLimits,
  type ExpositionSample,
  type MetricMetadata,
  type MetricType,
  type OpenMetricsValidation,
  type ParsedExposition,
  type ParseExpositionOptions,
} from "#server/platform/exposition/exposition.types.ts";
export { parseExposition } from "#server/platform/exposition/parse-exposition.ts";
