/**
 * The detector core: a pure, causal, per-series anomaly detector with compact snapshots.
 * The engine (storage, API, anomaly records) and `npm run eval:nab` both use only this API.
 */
export {
  createSeriesDetector,
  DEFAULT_DETECTOR_CONFIG,
  restoreSeriesDetector,
  type DetectorConfig,
  type ScoredSample,
  type SeriesDetector,
} from "#server/modules/detection/core/detector.rules.ts";
