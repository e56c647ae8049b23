import type { QueryService } from "#server/modules/query/index.ts";
import type { SeriesValues } from "#server/modules/incidents/incident-grouper.ts";

/** A PromQL selector matching exactly these labels. */
export function exactSelector(labels: Readonly<Record<string, string>>): string {
  const quote = (v: string) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  return `{${Object.keys(labels)
    .sort()
    .map((name) => `${name}=${quote(labels[name]!)}`)
    .join(",")}}`;
}

/** One series' values at a fixed step through the query engine (with its lookback), NaN where it has none. */
export function createSeriesValues(query: Pick<QueryService, "rangeQuery">): SeriesValues {
  return async (userId, labels, from, to, stepMs) => {
    const steps = Math.floor((to - from) / stepMs) + 1;
    const values = new Array<number>(steps).fill(Number.NaN);
    const result = await query.rangeQuery({ kind: "session", userId, sessionId: "incident-grouping" }, { query: exactSelector(labels), start: from, end: to, step: stepMs });
    for (const point of result.series[0]?.points ?? []) {
      const i = Math.round((point.t - from) / stepMs);
      if (i >= 0 && i < steps) values[i] = point.v;
    }
    return values;
  };
}
