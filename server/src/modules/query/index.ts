export { createQueryService, MAX_TIME_MS, MIN_TIME_MS } from "#server/modules/query/query.service.ts";
export type { QueryLimits, QueryService, SeriesQuery } from "#server/modules/query/query.service.ts";
export {
  PromQLError,
  parseDuration as parsePromQLDuration,
  type PromQLErrorKind,
  type MatrixValue,
  type Value,
} from "#server/modules/query/promql/index.ts";
export { parsePromQL } from "#server/modules/query/promql/index.ts";
