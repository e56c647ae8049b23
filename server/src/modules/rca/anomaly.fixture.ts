import type { AnomalyInput } from "#server/modules/rca/evidence-queries.rules.ts";

/** An anomaly record for the RCA unit tests: defaults for everything but id, metric and labels. */
export function anomaly(over: Partial<AnomalyInput> & Pick<AnomalyInput, "id" | "metric" | "labels">): AnomalyInput {
  return {
    started_at: "2026-03-03T00:10:00.000Z",
    ended_at: null,
    peak_score: 3,
    peak_at: "2026-03-03T00:20:00.000Z",
    observed: 2,
    expected: 1,
    lower: 0.5,
    upper: 1.5,
    direction: "up",
    contributors: [],
    ...over,
  };
}
