/**
 * When a run of scores becomes an anomaly record: it opens once the score stays above the
 * threshold for `openAfter` points and closes once it stays at or below it for `closeAfter`
 * points, so one noisy point neither opens nor ends an episode.
 */

export interface EpisodeConfig {
  readonly openAfter: number;
  readonly closeAfter: number;
}

export interface EpisodeState {
  above: number;
  below: number;
  open: boolean;
}

export type EpisodeEvent = "open" | "extend" | "close" | null;

export function newEpisodeState(): EpisodeState {
  return { above: 0, below: 0, open: false };
}

/** Advances the state by one score; says what the record should do. */
export function stepEpisode(state: EpisodeState, score: number, threshold: number, config: EpisodeConfig): EpisodeEvent {
  if (score > threshold) {
    state.above++;
    state.below = 0;
    if (state.open) return "extend";
    if (state.above >= config.openAfter) {
      state.open = true;
      return "open";
    }
    return null;
  }
  state.below++;
  state.above = 0;
  if (state.open && state.below >= config.closeAfter) {
    state.open = false;
    return "close";
  }
  return null;
}
