export { createAnalysisService, type AnalysisService } from "#server/modules/analysis/analysis.service.ts";
