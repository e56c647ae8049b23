export { createHostCollector, renderExposition, type HostCollector, type HostSnapshot } from "#server/modules/collection/host/index.ts";
export { builtinScrapeJobs, type BuiltinJobsOptions, type SelfMetrics } from "#server/modules/collection/builtin-jobs.ts";
