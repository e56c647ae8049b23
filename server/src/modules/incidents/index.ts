import type { Clock } from "#server/platform/clock.ts";
import type { Logger } from "#server/platform/logger.ts";
import type { Db } from "#server/storage/database.ts";
import type { AnomalyAccess, SeriesValues } from "#server/modules/incidents/incident-grouper.ts";
import type { GroupingSettings } from "#server/modules/incidents/incident-grouping.rules.ts";
import { createIncidentsRepository } from "#server/modules/incidents/incidents.repository.ts";
import { createBatchAnalyzer } from "#server/modules/incidents/batch-analyzer.ts";
import { createIncidentsService, type IncidentListener, type RootCauseAnalyzer } from "#server/modules/incidents/incidents.service.ts";
import type { RcaNarrator } from "#server/modules/incidents/rca-narrator.ts";

export type { IncidentListener, IncidentsService, RootCauseAnalyzer } from "#server/modules/incidents/incidents.service.ts";
export { createRcaNarrator, type DetectionMode, type NarrationOutcome, type RcaNarrator } from "#server/modules/incidents/rca-narrator.ts";
export type { SeriesValues } from "#server/modules/incidents/incident-grouper.ts";
export type { BatchAnalyzer } from "#server/modules/incidents/batch-analyzer.ts";
export { createIncidentsRepository } from "#server/modules/incidents/incidents.repository.ts";
export { DEFAULT_GROUPING, type GroupingSettings } from "#server/modules/incidents/incident-grouping.rules.ts";
export { decideAnalysis } from "#server/modules/incidents/decision.rules.ts";
export { createSeriesValues, exactSelector } from "#server/modules/incidents/series-values.ts";

/** Seed 000's batches over the user's recent windows (the LLM's detection in `llm` mode). */
export function createBatchAnalysisModule(deps: Omit<Parameters<typeof createBatchAnalyzer>[0], "incidents"> & { db: Db }) {
  const { db, ...rest } = deps;
  return createBatchAnalyzer({ incidents: createIncidentsRepository(db), ...rest });
}

export function createIncidentsModule(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  anomalies: AnomalyAccess & { countAnomalies(userId: string): Promise<{ total: number; open: number }> };
  analyzer: RootCauseAnalyzer;
  narrator?: RcaNarrator;
  countTargets: (userId: string) => Promise<number>;
  seriesValues?: SeriesValues;
  settings?: Partial<GroupingSettings>;
  onChange?: IncidentListener;
}) {
  const { db, ...rest } = deps;
  return createIncidentsService({ incidents: createIncidentsRepository(db), ...rest });
}
