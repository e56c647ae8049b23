import {
  PromQLError,
  TOO_MANY_SAMPLES,
  createPrefetchedSource,
  matchersKey,
  type Matcher,
  type PrefetchedSelection,
  type Selection,
  type SeriesSource,
} from "#server/modules/query/promql/index.ts";
import type { MetricStore } from "#server/modules/metric-store/index.ts";

/**
 * Reads every selection a query will make from the store up front (one read per distinct
 * matcher set, over the union of its time ranges), then serves the engine's synchronous
 * selects from memory. Counts samples as it reads, so an oversized query fails before
 * evaluation instead of exhausting memory.
 */
export async function prefetchSource(
  store: Pick<MetricStore, "select">,
  userId: string,
  selections: readonly Selection[],
  limits: { maxSamples: number; deadline: number; now: () => number },
): Promise<SeriesSource> {
  const ranges = new Map<string, { matchers: readonly Matcher[]; mint: number; maxt: number }>();
  for (const selection of selections) {
    const key = matchersKey(selection.matchers);
    const range = ranges.get(key);
    if (range === undefined) ranges.set(key, { matchers: selection.matchers, mint: selection.mint, maxt: selection.maxt });
    else ranges.set(key, { matchers: range.matchers, mint: Math.min(range.mint, selection.mint), maxt: Math.max(range.maxt, selection.maxt) });
  }

  const fetched: PrefetchedSelection[] = [];
  let samples = 0;
  for (const range of ranges.values()) {
    const series = await store.select(userId, [...range.matchers], range.mint, range.maxt);
    for (const s of series) samples += s.timestamps.length;
    if (samples > limits.maxSamples) throw new PromQLError("too_many_samples", TOO_MANY_SAMPLES);
    if (limits.now() > limits.deadline) throw new PromQLError("timeout", "query timed out in query execution");
    fetched.push({ matchers: range.matchers, series });
  }
  return createPrefetchedSource(fetched);
}
