/** Public surface of the PromQL engine (pure; the query service layer does the I/O). */
export type * from "#server/modules/query/promql/ast.ts";
export type * from "#server/modules/query/promql/types.ts";
export { STALE_NAN, isStaleNaN } from "#server/modules/query/promql/types.ts";
export { PromQLError, type PromQLErrorKind, TOO_MANY_POINTS, TOO_MANY_SAMPLES } from "#server/modules/query/promql/errors.ts";
export { parsePromQL, parseDuration, typeOf, type ParseOptions } from "#server/modules/query/promql/parser.ts";
export {
  evaluateInstant,
  evaluateRange,
  planSelections,
  type Annotations,
  type EngineOptions,
  type InstantQuery,
  type RangeQuery,
  type Selection,
} from "#server/modules/query/promql/evaluator.rules.ts";
export { createMemorySource, type MemorySource } from "#server/modules/query/promql/memory-source.ts";
export {
  createPrefetchedSource,
  matchersKey,
  type PrefetchedSelection,
} from "#server/modules/query/promql/prefetched-source.ts";
export { formatLabels, labelsKey, compareLabels } from "#server/modules/query/promql/labels.ts";
export { formatExpr, formatDuration, enforceMatchers } from "#server/modules/query/promql/format.ts";
