import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { Rca } from "@auspex/shared/contracts/rca.ts";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { PromQLError, type QueryService } from "#server/modules/query/index.ts";
import { planEvidenceQueries } from "#server/modules/rca/evidence-queries.rules.ts";
import { rankCauses } from "#server/modules/rca/rank-causes.rules.ts";
import { composeRca } from "#server/modules/rca/rca-text.rules.ts";
import { observeSignals, type QueryResult } from "#server/modules/rca/signals.rules.ts";

export interface RcaDeps {
  query: Pick<QueryService, "rangeQuery">;
  clock: Clock;
}

export interface AnalyzeRootCauseInput {
  /** The incident's anomaly records. */
  anomalies: readonly Anomaly[];
  /** Start of the incident (ms); default: the earliest anomaly's start. */
  from?: number;
  /** End of the analysis (ms); default: the latest anomaly end or peak, or now while one is open. */
  to?: number;
}

const MINUTE = 60_000;
/** The baseline ends this long before the incident starts (slow causes begin before detection sees them)… */
const BASELINE_GAP_MS = 30 * MINUTE;
/** …and covers this long. */
const BASELINE_MS = 4 * 60 * MINUTE;
/** At most this many points per series (Prometheus's limit is 11,000). */
const MAX_POINTS = 2_000;

/**
 * Deterministic root-cause analysis: queries the user's own series around an incident, ranks
 * candidate causes from the evidence and writes the RCA from templates (no LLM needed).
 */
export function createRcaService({ query, clock }: RcaDeps) {
  return {
    async analyzeRootCause(actor: Actor, input: AnalyzeRootCauseInput): Promise<Rca> {
      const anomalies = input.anomalies;
      const now = clock.now().getTime();
      const starts = anomalies.map((a) => Date.parse(a.started_at));
      const ends = anomalies.map((a) => (a.ended_at === null ? now : Math.max(Date.parse(a.ended_at), Date.parse(a.peak_at))));
      const from = input.from ?? (starts.length > 0 ? Math.min(...starts) : now);
      const to = input.to ?? (ends.length > 0 ? Math.max(...ends) : now);
      const baselineEnd = from - BASELINE_GAP_MS;
      const start = baselineEnd - BASELINE_MS;
      const step = Math.max(MINUTE, Math.ceil((to - start) / MAX_POINTS / MINUTE) * MINUTE);

      const results: QueryResult[] = [];
      for (const q of planEvidenceQueries(anomalies)) {
        try {
          const matrix = await query.rangeQuery(actor, { query: q.promql, start, end: to, step });
          results.push({ query: q, series: matrix.series.map((s) => ({ labels: s.labels, points: s.points })) });
        } catch (error) {
          // A query the data cannot answer (no such series, a limit) is missing evidence, not a failed analysis.
          if (!(error instanceof PromQLError)) throw error;
        }
      }
      const directions = new Map(anomalies.map((a) => [a.id, a.direction]));
      const observations = observeSignals(results, { baselineEnd, to }, (id) => directions.get(id) ?? "up");
      const ranking = rankCauses({ anomalies, observations });
      return composeRca(ranking, anomalies, clock.now());
    },
  };
}

export type RcaService = ReturnType<typeof createRcaService>;
