import type { Clock } from "#server/platform/clock.ts";
import type { QueryService } from "#server/modules/query/index.ts";
import { createRcaService, type RcaService } from "#server/modules/rca/rca.service.ts";

export type { AnalyzeRootCauseInput, RcaDeps, RcaService } from "#server/modules/rca/rca.service.ts";
export { planEvidenceQueries, type AnomalyInput, type EvidenceQuery } from "#server/modules/rca/evidence-queries.rules.ts";
export { rankCauses, type CauseCandidate, type Ranking } from "#server/modules/rca/rank-causes.rules.ts";
export { composeRca } from "#server/modules/rca/rca-text.rules.ts";
export { observeSignals, type QueryResult, type SignalObservation } from "#server/modules/rca/signals.rules.ts";

/** Deterministic root-cause analysis over the user's series (the incidents module calls it). */
export function createRcaModule(deps: { query: Pick<QueryService, "rangeQuery">; clock: Clock }): RcaService {
  return createRcaService(deps);
}
