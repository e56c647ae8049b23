/**
 * A `SeriesSource` over data fetched ahead of evaluation: the service layer calls `planSelections`,
 * reads each selection from the real store asynchronously, then evaluates synchronously over this.
 */
import type { Matcher } from "#server/modules/query/promql/ast.ts";
import type { SeriesSource, SourceSeries } from "#server/modules/query/promql/types.ts";

export interface PrefetchedSelection {
  readonly matchers: readonly Matcher[];
  readonly series: readonly SourceSeries[];
}

/** Canonical key of a matcher list (order-independent). */
export function matchersKey(matchers: readonly Matcher[]): string {
  return matchers
    .map((m) => `${m.name}\xff${m.type}\xff${m.value}`)
    .sort()
    .join("\xfe");
}

/** Serves each selection from the prefetched series; an unknown selection returns no series. */
export function createPrefetchedSource(selections: readonly PrefetchedSelection[]): SeriesSource {
  const byKey = new Map<string, readonly SourceSeries[]>();
  for (const s of selections) {
    const key = matchersKey(s.matchers);
    const prev = byKey.get(key);
    byKey.set(key, prev ? [...prev, ...s.series] : s.series);
  }
  return {
    select(matchers) {
      return byKey.get(matchersKey(matchers)) ?? [];
    },
  };
}
