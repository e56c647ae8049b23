/**
 * How member scores become one score. Every member reports a normalised score m ≥ 0 (1 = at
 * the edge of that member's band) with a sign. Three votes are summed: the point member (the
 * robust baseline, or the seasonal profile when one is active), the forecast residual and the
 * change point, weighted 3 : 1 : 2. The sum over VOTE_NORM is the combined score (> 1 = outside
 * the band): a value far out for one member alone, or moderately out for several at once, raises
 * it. Weighted soft voting measured better on NAB than a maximum, a geometric mean of the top
 * two, a root-sum-square or equal weights.
 */

/** Vote weights (forecast = 1): the point member is the most reliable, the change point next. */
export const POINT_WEIGHT = 3;
export const CHANGE_POINT_WEIGHT = 2;
/** Weighted vote sum that makes the combined score 1 (calibrated: a clean week of 1 min or 15 s data stays ≤ 1). */
export const VOTE_NORM = 7.5;

export interface MemberVote {
  score: number;
  /** +1 above expectation, −1 below. */
  sign: number;
}

/** Keeps the vote only when its sign is allowed by the configured direction. */
export function directional(score: number, sign: number, direction: "up" | "down" | "both"): number {
  if (direction === "both") return score;
  if (direction === "up") return sign > 0 ? score : 0;
  return sign < 0 ? score : 0;
}

/** Weighted sum of the votes of the point, forecast and change-point members (direction-filtered). */
export function voteSum(point: number, forecast: number, changePoint: number): number {
  return POINT_WEIGHT * point + forecast + CHANGE_POINT_WEIGHT * changePoint;
}

/** Maps a combined score (≥ 0, > 1 outside the band) to [0, 1]; 1 maps to 0.5. */
export function toUnitInterval(score: number): number {
  if (!(score > 0)) return 0;
  return score / (1 + score);
}

/** Half-life, in samples, of the remembered maximum of recent unit scores. */
export const ONSET_HALF_LIFE = 20_000;
const ONSET_DECAY = Math.pow(0.5, 1 / ONSET_HALF_LIFE);

/**
 * Onset emphasis for the [0, 1] anomaly score: how far the current vote sum, mapped to [0, 1]
 * by s / (1 + s), exceeds the remembered maximum of earlier unit scores. A deviation reads high
 * when it is unprecedented for this series and not again while it persists or recurs at the same
 * size (a daily batch job's spike alarms once, not every day). The memory decays in the unit
 * domain, so a very large remembered deviation (near 1) stops masking smaller ones within a few
 * hundred samples, while moderate ones fade slowly. Returns [anomalyScore, newMemory].
 */
export function onsetScore(votes: number, memory: number): [number, number] {
  const unit = toUnitInterval(votes);
  const decayed = memory * ONSET_DECAY;
  const a = unit - memory;
  return [a > 0 ? a : 0, unit > decayed ? unit : decayed];
}

/** Samples after a vote onset over which the deviation must persist for the onset to be reported. */
export const PERSIST_SPAN = 40;
/** How many of those samples must score above PERSIST_SCORE (a third of the band): half. */
export const PERSIST_HITS = PERSIST_SPAN / 2;
export const PERSIST_SCORE = 1 / 3;

/** A vote onset waiting for its persistence check; `left` = 0 means none. */
export interface PendingOnset {
  value: number;
  left: number;
  hits: number;
}

export function createPendingOnset(): PendingOnset {
  return { value: 0, left: 0, hits: 0 };
}

/**
 * Persistence check of vote onsets, the rule anomaly records follow (they open when the score
 * stays high): an onset is reported PERSIST_SPAN samples later, and only when at least
 * PERSIST_HITS of those samples scored above PERSIST_SCORE. A lone outlier of a heavy-tailed
 * series (a burst of tweets, a short CPU spike) breaks the running maximum but not the band for
 * long, so it is not an event here; the novelty member still reports a value the series never
 * took. A larger onset while one is pending replaces it and restarts the span, so a deviation
 * that builds up over several samples is reported once, at its full size (vote onsets have no
 * refractory). On NAB this removed most false positives of the spiky series at every grid
 * alignment of the novelty member; spans of 34–44 samples with half of them required all
 * measured better than 30 (ADR 0014). Returns the onset to report at this sample (0 if none);
 * `onset` is the vote onset found at this sample (0 if none). The pending value is held as a
 * float32 (it is stored so).
 */
export function persistedOnset(p: PendingOnset, onset: number, score: number): number {
  let reported = 0;
  if (p.left > 0) {
    if (score > PERSIST_SCORE) p.hits++;
    p.left--;
    if (p.left === 0 && p.hits >= PERSIST_HITS) reported = p.value;
  }
  if (onset > 0 && (p.left === 0 || onset > p.value)) {
    p.value = Math.fround(onset);
    p.left = PERSIST_SPAN;
    p.hits = 0;
  }
  return reported;
}

/** Context ratio (see context.rules.ts) that maps to 0.5 in the unit domain. */
export const CONTEXT_SCALE = 2;
/** Weight of a context onset relative to an onset of the vote sum. */
export const CONTEXT_WEIGHT = 0.5;

/**
 * Onset of the contextual member: how far its ratio, mapped by r / (CONTEXT_SCALE + r), exceeds
 * the maximum of its earlier values (no decay: a shape is news once), times CONTEXT_WEIGHT. It
 * catches anomalies that are unremarkable value by value but new as a pattern, and later
 * anomalies smaller than an earlier one of another kind. Returns [anomalyScore, newMemory].
 */
export function contextOnsetScore(ratio: number, memory: number): [number, number] {
  const unit = toUnitInterval(ratio / CONTEXT_SCALE);
  return unit > memory ? [CONTEXT_WEIGHT * (unit - memory), unit] : [0, memory];
}

/**
 * Stuck-value vote: a run of `run` identical values in a series whose values changed on a share
 * `changeShare` of steps. Scores 1 when such a run would have a chance below 1e-10; a series that
 * rarely changes (flat, step-like, quantised) needs a proportionally longer run.
 */
export function stuckScore(run: number, changeShare: number): number {
  if (!(changeShare > 0.5)) return 0;
  const perStep = -Math.log(1 - changeShare + 1e-4);
  return (run * perStep) / STUCK_LOG_CHANCE;
}

const STUCK_LOG_CHANCE = 23; // −ln(1e-10)

/** Onset score that maps to 0.5 against the novelty member's [0, 1] score is 1 / ONSET_SCALE. */
export const ONSET_SCALE = 150;

/**
 * The [0, 1] anomaly score: the larger of the novelty member's score and the onset score mapped by
 * x / (1 + x) after scaling by ONSET_SCALE. The two catch different anomalies (onsets: deviations
 * larger than any before; novelty: transitions never seen, whatever their size), so either may
 * raise it; on NAB their union finds about 12 more of 65 windows than either alone.
 */
export function anomalyScoreOf(onset: number, novelty: number): number {
  const x = ONSET_SCALE * onset;
  const o = x / (1 + x);
  return novelty > o ? novelty : o;
}

/** Samples after a report within which a report no larger is the same event (= PERSIST_SPAN: a vote onset is reported that long after it began). */
export const REPORT_SPAN = PERSIST_SPAN;

/** The last anomalyScore reported and the samples since (saturating at REPORT_SPAN + 1). */
export interface LastReport {
  value: number;
  age: number;
}

export function createLastReport(): LastReport {
  return { value: 0, age: REPORT_SPAN + 1 };
}

/**
 * One event, one report: an anomalyScore within REPORT_SPAN samples after a report at least as
 * large is dropped (0). The members see one event at different times: novelty at the first
 * new value, a context onset when the shape is complete, a vote onset PERSIST_SPAN samples
 * after it began; outside an anomaly window each of them would count as another false alarm.
 * A larger score within the span is reported and becomes the reference. On NAB this measured
 * better at every grid alignment and memory size of the novelty member (ADR 0014). The value is
 * held as a float32 (it is stored so).
 */
export function distinctReport(last: LastReport, score: number): number {
  if (last.age <= REPORT_SPAN) last.age++;
  if (!(score > 0)) return 0;
  if (last.age <= REPORT_SPAN && score <= last.value) return 0;
  last.value = Math.fround(score);
  last.age = 0;
  return score;
}
