/**
 * Metric store module: the `MetricStore` port and its embedded implementation.
 *
 * `createEmbeddedMetricStore({ dir })` opens (or creates) a Prometheus-style TSDB in `dir`
 * (default deployment: `./data/tsdb`): an in-memory head with Gorilla-compressed chunks and a
 * per-user inverted index, a write-ahead log (`wal/`, group-committed, fsynced before `append`
 * resolves, replayed on open) and immutable blocks (`blocks/`) cut from the head every block
 * range, compacted into larger blocks and deleted by retention (age, then size).
 *
 * Integration: opening replays the WAL synchronously. With `maintenanceIntervalMs` (default
 * 60 s) a timer runs `maintain()` (head → block, compaction, retention by `clock`); pass 0 and
 * call `maintain()` yourself to schedule it elsewhere. `close()` stops the timer, waits for
 * running maintenance and pending WAL writes, and releases files; it does not flush the head
 * (the WAL already holds it). Only one process may open a directory at a time.
 */
import {
  type EmbeddedMetricStore,
  type EmbeddedMetricStoreOptions,
  openEmbeddedMetricStore,
} from "#server/modules/metric-store/embedded-metric-store.ts";

export type {
  AppendOptions,
  AppendResult,
  Labels,
  Matcher,
  MetricStore,
  MetricStoreStats,
  Sample,
  SeriesBatch,
  SeriesData,
  SeriesRejection,
} from "#server/modules/metric-store/metric-store.port.ts";
export type { EmbeddedMetricStore, EmbeddedMetricStoreOptions };
export { InvalidMatcherError } from "#server/modules/metric-store/labels.ts";
export { withAppendObserver, type AppendObserver } from "#server/modules/metric-store/observed-metric-store.ts";

export function createEmbeddedMetricStore(options: EmbeddedMetricStoreOptions): EmbeddedMetricStore {
  return openEmbeddedMetricStore(options);
}

export { createExternalMetricStore, ExternalStoreError } from "#server/modules/metric-store/external/external-metric-store.ts";
export type { ExternalMetricStoreOptions } from "#server/modules/metric-store/external/external-metric-store.ts";
