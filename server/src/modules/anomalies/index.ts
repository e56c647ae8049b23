import type { Clock } from "#server/platform/clock.ts";
import type { Db } from "#server/storage/database.ts";
import { createAnomaliesRepository } from "#server/modules/anomalies/anomalies.repository.ts";
import { createAnomaliesService, type AnomalyListener, type FeedbackListener } from "#server/modules/anomalies/anomalies.service.ts";

export type { AnomaliesService, AnomalyEvent, AnomalyListener, AnomalyObservation, FeedbackListener } from "#server/modules/anomalies/anomalies.service.ts";
export { createAnomaliesRepository } from "#server/modules/anomalies/anomalies.repository.ts";

export function createAnomaliesModule(deps: { db: Db; clock: Clock; onFeedback?: FeedbackListener; onEvent?: AnomalyListener }) {
  return createAnomaliesService({
    anomalies: createAnomaliesRepository(deps.db),
    clock: deps.clock,
    ...(deps.onFeedback && { onFeedback: deps.onFeedback }),
    ...(deps.onEvent && { onEvent: deps.onEvent }),
  });
}
