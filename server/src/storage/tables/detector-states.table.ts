/** A series' detector as last checkpointed, so a restart continues instead of re-learning. */
export interface DetectorStatesTable {
  user_id: string;
  series_key: string;
  /** JSON object of the series' labels. */
  labels: string;
  /** The detector's snapshot, base64. */
  state: string;
  /** JSON of the episode counters (above, below, open). */
  episode: string;
  /** The score the series must exceed (raised by feedback). */
  threshold: number;
  /** Time (ms) of the last sample the snapshot includes: replay starts after it. */
  last_t: number;
  updated_at: string;
}
