/**
 * The metric store port: what the rest of Auspex needs from a Prometheus-style time-series
 * store. Every call is scoped by a user id; no call can read or change another user's series.
 */

/** A series' label set, including `__name__`. Empty values mean "label absent" and are dropped. */
export type Labels = Readonly<Record<string, string>>;

/** A label matcher; regexes are fully anchored, as in PromQL (`=~"a.*"` means `^(?:a.*)$`). */
export type Matcher = { type: "=" | "!=" | "=~" | "!~"; name: string; value: string };

/** One sample: `t` in milliseconds since the epoch, `v` any float64 (NaN payloads round-trip bit-exactly). */
export type Sample = { t: number; v: number };

/**
 * Samples per series. A producer that sends the same label set again and again may pass one
 * frozen (Object.freeze) label object for it each time: a store may then remember the series
 * that object names instead of looking its labels up at every append (the embedded store does).
 */
export type SeriesBatch = ReadonlyArray<{ labels: Labels; samples: ReadonlyArray<Sample> }>;

export type SeriesRejection = {
  labels: Labels;
  rejected: number;
  reason: string;
  /** Set when the samples were refused because the user has too many active series. */
  seriesLimit?: true;
};

export type AppendOptions = {
  /** Refuse to create a new series when the user already has this many active series (embedded store). */
  maxActiveSeries?: number;
};

export type AppendResult = {
  /** Samples now stored (and durable in the write-ahead log). Exact duplicates count as accepted. */
  accepted: number;
  /** Samples refused, grouped per series and reason. */
  rejected: number;
  rejections: SeriesRejection[];
};

/** One series' samples; `withoutNaN` true promises no NaN among the values (so no staleness marker to drop), false or absent: unknown. */
export type SeriesData = { labels: Labels; timestamps: Float64Array; values: Float64Array; withoutNaN?: boolean };

export type MetricStoreStats = {
  /** Distinct series in the head (in memory) plus series known only from blocks. */
  series: number;
  headSeries: number;
  /** The fields below are null where a store cannot tell (an external server does not say). */
  samples: number | null;
  headSamples: number | null;
  blocks: number | null;
  bytesOnDisk: number | null;
  walBytes: number | null;
  /** Oldest and newest sample time stored, or null when empty. */
  minTime: number | null;
  maxTime: number | null;
};

export interface MetricStore {
  /** Appends samples; resolves once the accepted samples are durable (fsync of the write-ahead log). */
  append(userId: string, batch: SeriesBatch, options?: AppendOptions): Promise<AppendResult>;
  /** Samples of every series of `userId` matching all `matchers`, with mint <= t <= maxt, sorted by time. */
  select(userId: string, matchers: Matcher[], mint: number, maxt: number): Promise<SeriesData[]>;
  /** Label sets of series matching any of `matcherSets` (all series when empty) with data in [mint, maxt]. */
  series(userId: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<Labels[]>;
  labelNames(userId: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<string[]>;
  labelValues(userId: string, name: string, matcherSets: Matcher[][], mint: number, maxt: number): Promise<string[]>;
  /** Removes every series and sample of the user, in memory, in the write-ahead log's replay and on disk. */
  deleteUser(userId: string): Promise<void>;
  /** Drops data older than the retention period and oldest blocks beyond the size limit. */
  applyRetention(nowMs: number): Promise<void>;
  stats(): Promise<MetricStoreStats>;
  /** Waits for pending write-ahead log writes and releases files. The instance is unusable afterwards. */
  close(): Promise<void>;
}
