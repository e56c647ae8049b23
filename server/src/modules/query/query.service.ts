import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import type { Labels, MetricStore } from "#server/modules/metric-store/index.ts";
import { ParallelRangeFolder } from "#server/modules/query/parallel-range-folder.ts";
import { prefetchSource } from "#server/modules/query/prefetch-source.ts";
import {
  evaluateInstant,
  evaluateRange,
  parsePromQL,
  planSelections,
  type EngineOptions,
  type MatrixValue,
  type Value,
} from "#server/modules/query/promql/index.ts";
import { parseSeriesSelectors } from "#server/modules/query/series-selectors.ts";

/** Prometheus's "all time" bounds for endpoints whose start/end are optional. */
export const MIN_TIME_MS = -9_223_372_036_854;
export const MAX_TIME_MS = 9_223_372_036_854;

export interface QueryLimits {
  timeoutMs: number;
  maxSamples: number;
  lookbackDeltaMs: number;
  /** Worker threads for large series-major folds (0: the request thread alone). */
  threads?: number;
}

export interface SeriesQuery {
  match: readonly string[];
  start?: number;
  end?: number;
  limit?: number;
}

interface Deps {
  store: Pick<MetricStore, "select" | "series" | "labelNames" | "labelValues">;
  limits: QueryLimits;
  clock: Clock;
}

/**
 * The query verbs behind the Prometheus-compatible API, the chat tools and the UI. Every
 * verb reads only the acting user's series: the store is always called with actor.userId.
 */
export function createQueryService({ store, limits, clock }: Deps) {
  const bounds = (q: SeriesQuery) => ({ start: q.start ?? MIN_TIME_MS, end: q.end ?? MAX_TIME_MS });
  const limited = <T>(items: T[], limit: number | undefined): T[] => (limit !== undefined && limit > 0 ? items.slice(0, limit) : items);
  const now = () => clock.now().getTime();
  const rangeFolder = new ParallelRangeFolder({ threads: limits.threads ?? 0 });

  async function prepare(actor: Actor, query: string, start: number, end: number, timeoutMs: number | undefined) {
    const deadline = now() + Math.min(timeoutMs ?? limits.timeoutMs, limits.timeoutMs);
    const options: EngineOptions = { lookbackDelta: limits.lookbackDeltaMs, maxSamples: limits.maxSamples, deadline, now, rangeFolder };
    const expr = parsePromQL(query);
    const source = await prefetchSource(store, actor.userId, planSelections(expr, start, end, options), { maxSamples: limits.maxSamples, deadline, now });
    return { expr, source, options };
  }

  return {
    /** PromQL at one instant (ms). */
    async instantQuery(actor: Actor, q: { query: string; time: number; timeoutMs?: number }): Promise<Value> {
      const { expr, source, options } = await prepare(actor, q.query, q.time, q.time, q.timeoutMs);
      return evaluateInstant(source, { query: expr, time: q.time }, options);
    },

    /** PromQL evaluated at start, start+step, … end (ms). */
    async rangeQuery(actor: Actor, q: { query: string; start: number; end: number; step: number; timeoutMs?: number }): Promise<MatrixValue> {
      const { expr, source, options } = await prepare(actor, q.query, q.start, q.end, q.timeoutMs);
      return evaluateRange(source, { query: expr, start: q.start, end: q.end, step: q.step }, options);
    },

    async listSeries(actor: Actor, q: SeriesQuery): Promise<Labels[]> {
      const { start, end } = bounds(q);
      const series = await store.series(actor.userId, parseSeriesSelectors(q.match), start, end);
      return limited(series, q.limit);
    },

    async listLabelNames(actor: Actor, q: SeriesQuery): Promise<string[]> {
      const { start, end } = bounds(q);
      const names = await store.labelNames(actor.userId, parseSeriesSelectors(q.match), start, end);
      return limited([...names].sort(), q.limit);
    },

    async listLabelValues(actor: Actor, name: string, q: SeriesQuery): Promise<string[]> {
      const { start, end } = bounds(q);
      const values = await store.labelValues(actor.userId, name, parseSeriesSelectors(q.match), start, end);
      return limited([...values].sort(), q.limit);
    },

    /** Stops the query worker threads. */
    close(): Promise<void> {
      return rangeFolder.close();
    },
  };
}

export type QueryService = ReturnType<typeof createQueryService>;
