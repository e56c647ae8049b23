/**
 * Seasonality member: a daily profile (48 bins of 30 min) and a weekly profile (84 bins of 2 h, mean only; it shares the daily deviations),
 * indexed by the sample timestamp (UTC). Each bin keeps an exponentially weighted mean and mean
 * absolute deviation, updated with values clipped to the bin's band so an anomaly does not
 * become the new normal. Whether a profile is used is decided from the data: it must have seen
 * two full periods and predict clearly better (smaller tracked absolute error) than the
 * non-seasonal expectation it is compared with.
 */
import type { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
export const DAILY_BINS = 48;
export const WEEKLY_BINS = 84;
/** A profile is used only when its tracked error is below this share of the plain expectation's. */
const ACTIVATION_RATIO = 0.8;
const DEACTIVATION_RATIO = 1.1;
const SPREAD_RATIO = 0.4;
/** Weight a single pass of a period gives to a bin (per-sample alpha is scaled by samples per bin). */
const PERIOD_WEIGHT = 0.3;
const ERROR_ALPHA = 0.01;
const DEV_GROWTH = 2.5;

export interface SeasonalState {
  firstT: number;
  dailyErr: number;
  weeklyErr: number;
  plainErr: number;
  dailyMean: Float32Array;
  dailyDev: Float32Array;
  weeklyMean: Float32Array;
  /** 1 while a profile is in use (hysteresis: it is dropped only when clearly worse). */
  active: number;
}

export interface SeasonalPrediction {
  /** 0 = none, 1 = daily, 2 = weekly. */
  kind: 0 | 1 | 2;
  expected: number;
  /** Typical absolute deviation in this bin (NaN without a profile). */
  dev: number;
}

export function createSeasonal(): SeasonalState {
  return {
    firstT: Number.NaN,
    dailyErr: Number.NaN,
    weeklyErr: Number.NaN,
    plainErr: Number.NaN,
    dailyMean: new Float32Array(DAILY_BINS).fill(Number.NaN),
    dailyDev: new Float32Array(DAILY_BINS).fill(Number.NaN),
    weeklyMean: new Float32Array(WEEKLY_BINS).fill(Number.NaN),
    active: 0,
  };
}

function binOf(t: number, period: number, bins: number): number {
  const phase = ((t % period) + period) % period;
  return Math.min(bins - 1, Math.floor((phase / period) * bins));
}

/**
 * Profile value at time t, linearly interpolated between the centres of the two nearest bins
 * (circularly), so a smooth cycle is not predicted as a staircase. NaN if either bin is empty.
 */
function interpolate(xs: Float32Array, t: number, period: number): number {
  const bins = xs.length;
  const phase = ((t % period) + period) % period;
  const pos = (phase / period) * bins - 0.5;
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const a = xs[(lo + bins) % bins]!;
  const b = xs[(lo + 1) % bins]!;
  return a + frac * (b - a);
}

function trackError(prev: number, err: number): number {
  if (Number.isNaN(prev)) return err;
  const cap = 2 * prev + 1e-12;
  return prev + ERROR_ALPHA * ((err > cap ? cap : err) - prev);
}

/** The seasonal expectation at time t, if a profile is active. */
export function seasonalPredict(s: SeasonalState, t: number): SeasonalPrediction {
  if (s.active === 0) return { kind: 0, expected: Number.NaN, dev: Number.NaN };
  const age = t - s.firstT;
  // A bin with a mean but no deviation yet (e.g. first seen after a gap): fall back to the error.
  const binDev = interpolate(s.dailyDev, t, DAY_MS);
  const dev = Number.isNaN(binDev) ? s.dailyErr : binDev;
  if (age >= 2 * WEEK_MS && s.weeklyErr < 0.9 * s.dailyErr) {
    const m = interpolate(s.weeklyMean, t, WEEK_MS);
    if (!Number.isNaN(m)) return { kind: 2, expected: m, dev: Math.max(dev, s.weeklyErr) };
  }
  const m = interpolate(s.dailyMean, t, DAY_MS);
  if (!Number.isNaN(m)) return { kind: 1, expected: m, dev: Math.max(dev, 0.5 * s.dailyErr) };
  return { kind: 0, expected: Number.NaN, dev: Number.NaN };
}

/**
 * The seasonal component of prediction p: the active profile's value minus its mean over the period
 * (0 when no profile is active). Subtracting it deseasonalises the series (Holt-Winters style).
 */
export function seasonalComponent(s: SeasonalState, p: SeasonalPrediction): number {
  if (p.kind === 0) return 0;
  const xs = p.kind === 2 ? s.weeklyMean : s.dailyMean;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    if (!Number.isNaN(x)) {
      sum += x;
      n++;
    }
  }
  return n === 0 ? 0 : p.expected - sum / n;
}

/** Tracked mean absolute error of the seasonal expectation in use (NaN when none). */
export function seasonalError(s: SeasonalState): number {
  if (s.active === 0) return Number.NaN;
  return s.weeklyErr < s.dailyErr ? s.weeklyErr : s.dailyErr;
}

function updateProfile(
  mean: Float32Array,
  dev: Float32Array | null,
  devIndex: number,
  b: number,
  x: number,
  alpha: number,
  predicted: number,
): void {
  const m = mean[b]!;
  if (Number.isNaN(m)) {
    mean[b] = x;
    return;
  }
  const d = dev === null ? Number.NaN : dev[devIndex]!;
  // The deviation is measured against the interpolated prediction (what is scored).
  const err = Math.abs(x - (Number.isNaN(predicted) ? m : predicted));
  const band = Number.isNaN(d) ? Number.POSITIVE_INFINITY : 4 * d + 1e-12;
  const xc = x > m + band ? m + band : x < m - band ? m - band : x;
  mean[b] = m + alpha * (xc - m);
  // The deviation may grow by at most DEV_GROWTH per update, so an anomaly does not widen the
  // band it is measured against; a lasting change of variance is still learned, slowly.
  if (dev !== null) dev[devIndex] = Number.isNaN(d) ? err : d + alpha * (Math.min(err, DEV_GROWTH * d + 1e-12) - d);
}

/**
 * Learns from a value after it was scored. `plainExpected` is the non-seasonal expectation the
 * profiles compete with; `stepMs` the typical sampling step; `spread` the series' mean absolute
 * deviation from its slow mean.
 */
export function seasonalUpdate(
  s: SeasonalState,
  t: number,
  x: number,
  plainExpected: number,
  stepMs: number,
  spread = Number.NaN,
): void {
  if (Number.isNaN(s.firstT)) s.firstT = t;
  const age = t - s.firstT;
  const step = stepMs > 0 ? stepMs : 60_000;
  const aDay = Math.min(0.5, PERIOD_WEIGHT * (step / (DAY_MS / DAILY_BINS)));
  const aWeek = Math.min(0.5, PERIOD_WEIGHT * (step / (WEEK_MS / WEEKLY_BINS)));
  const db = binOf(t, DAY_MS, DAILY_BINS);
  const predDay = interpolate(s.dailyMean, t, DAY_MS);
  const predWeek = interpolate(s.weeklyMean, t, WEEK_MS);
  updateProfile(s.dailyMean, s.dailyDev, db, db, x, aDay, predDay);
  updateProfile(s.weeklyMean, null, db, binOf(t, WEEK_MS, WEEKLY_BINS), x, aWeek, predWeek);
  const eDay = Math.abs(x - predDay);
  const eWeek = Math.abs(x - predWeek);
  if (age < DAY_MS || Number.isNaN(plainExpected)) return;
  // Each tracked error may grow by at most 2× its running value per update, so an anomaly does
  // not decide which expectation wins, nor widen the band it is measured against.
  s.plainErr = trackError(s.plainErr, Math.abs(x - plainExpected));
  if (!Number.isNaN(predDay)) s.dailyErr = trackError(s.dailyErr, eDay);
  if (age >= WEEK_MS && !Number.isNaN(predWeek)) s.weeklyErr = trackError(s.weeklyErr, eWeek);
  if (age >= 2 * DAY_MS) {
    const best = age >= 2 * WEEK_MS && s.weeklyErr < s.dailyErr ? s.weeklyErr : s.dailyErr;
    // Used when it predicts better than the plain expectation, or when it explains most of the
    // series' overall spread (at fine resolution a rolling median predicts the next sample better,
    // but only the profile knows where the series should be over hours).
    const explains = best < SPREAD_RATIO * spread;
    if (s.active === 0 && (best < ACTIVATION_RATIO * s.plainErr || explains)) s.active = 1;
    else if (s.active === 1 && !(best < DEACTIVATION_RATIO * s.plainErr) && !(best < 1.2 * SPREAD_RATIO * spread)) s.active = 0;
  }
}

export function writeSeasonal(s: SeasonalState, w: StateWriter): void {
  w.f64(s.firstT);
  w.f64(s.dailyErr);
  w.f64(s.weeklyErr);
  w.f64(s.plainErr);
  w.f32s(s.dailyMean);
  w.f32s(s.dailyDev);
  w.u8(s.active);
  w.f32s(s.weeklyMean);
}

export function readSeasonal(r: StateReader): SeasonalState {
  const s = createSeasonal();
  s.firstT = r.f64();
  s.dailyErr = r.f64();
  s.weeklyErr = r.f64();
  s.plainErr = r.f64();
  r.f32s(s.dailyMean);
  r.f32s(s.dailyDev);
  s.active = r.u8();
  r.f32s(s.weeklyMean);
  return s;
}
