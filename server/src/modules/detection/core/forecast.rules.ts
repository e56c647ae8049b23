/**
 * Forecast-residual member: damped-trend exponential smoothing (ETS(A,Ad,N), Holt's method with a
 * damped trend). The one-step forecast is made before the value is seen; the residual is scaled
 * by an exponentially weighted mean absolute residual. Updates use the residual clipped to
 * ±CLIP scales, so an outlier moves the level only a little (robust Holt).
 */
import type { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";

const ALPHA = 0.25;
const BETA = 0.02;
const PHI = 0.9;
const SCALE_ALPHA = 0.02;
const CLIP = 3;

export interface ForecastState {
  n: number;
  level: number;
  trend: number;
  /** Mean absolute one-step residual. */
  mae: number;
}

export function createForecast(): ForecastState {
  return { n: 0, level: Number.NaN, trend: 0, mae: Number.NaN };
}

export function forecastNext(f: ForecastState): number {
  return f.n === 0 ? Number.NaN : f.level + PHI * f.trend;
}

/** Residual scale (≈ σ for Gaussian noise); NaN until a few residuals were seen. */
export function forecastScale(f: ForecastState): number {
  return f.n < 3 ? Number.NaN : 1.25 * f.mae;
}

/**
 * Learns x. `minScale` is the smallest residual scale the caller considers meaningful; it keeps
 * clipping from freezing the level of a series that was flat until now.
 */
export function forecastUpdate(f: ForecastState, x: number, minScale = 0): void {
  if (f.n === 0) {
    f.level = x;
    f.n = 1;
    return;
  }
  const pred = f.level + PHI * f.trend;
  let e = x - pred;
  const absE = Math.abs(e);
  if (Number.isNaN(f.mae)) f.mae = absE;
  else {
    const scale = 1.25 * f.mae > minScale ? 1.25 * f.mae : minScale;
    const lim = CLIP * scale;
    if (f.n >= 3 && lim > 0 && absE > lim) e = e > 0 ? lim : -lim;
    f.mae += SCALE_ALPHA * ((lim > 0 && absE > 2 * lim ? 2 * lim : absE) - f.mae);
  }
  f.level = pred + ALPHA * e;
  f.trend = PHI * f.trend + BETA * ALPHA * e;
  f.n++;
}

/** After a gap or a detected change the trend is no longer meaningful. */
export function forecastResetTrend(f: ForecastState): void {
  f.trend = 0;
}

export function writeForecast(f: ForecastState, w: StateWriter): void {
  w.f64(f.n);
  w.f64(f.level);
  w.f64(f.trend);
  w.f64(f.mae);
}

export function readForecast(r: StateReader): ForecastState {
  return { n: r.f64(), level: r.f64(), trend: r.f64(), mae: r.f64() };
}
