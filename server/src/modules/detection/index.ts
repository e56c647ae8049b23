export { createDetectionEngine, type DetectionEngine, type DetectionSettings } from "#server/modules/detection/engine/detection-engine.ts";
export { OUTPUT_METRICS } from "#server/modules/detection/engine/output-series.rules.ts";
export { createDetectorStatesRepository } from "#server/modules/detection/engine/detector-states.repository.ts";
export { createDetectionSettingsRepository } from "#server/modules/detection/settings/detection-settings.repository.ts";
export { createDetectionSettingsService, type DetectionSettingsService } from "#server/modules/detection/settings/detection-settings.service.ts";
