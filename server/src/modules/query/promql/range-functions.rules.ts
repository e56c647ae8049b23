/**
 * Range-vector functions (rate, deriv, *_over_time, …) over a window of one series' samples.
 * A window is an index range into the series' arrays, never a copy: the step-by-step evaluator
 * and the series-major one (series-major.rules.ts) both slide it over the same arrays.
 */
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { kahanInc, mean, quantile, variance } from "#server/modules/query/promql/math.rules.ts";

/** Samples `lo` … `hi - 1` of one series (times in ms, ascending; no staleness markers). */
export interface SampleWindow {
  readonly ts: ArrayLike<number>;
  readonly vs: ArrayLike<number>;
  readonly lo: number;
  readonly hi: number;
  /** Optional `valueDrops(vs)`: lets rate(), increase() and resets() skip scanning for counter resets. */
  readonly drops?: Int32Array | undefined;
}

/**
 * For each index i, how many j <= i have vs[j] < vs[j - 1]: the drops inside (lo, hi) are
 * drops[hi-1] - drops[lo]. Written into `out` (at least vs.length long) when given.
 */
export function valueDrops(vs: ArrayLike<number>, out = new Int32Array(vs.length)): Int32Array {
  let n = 0;
  out[0] = 0;
  for (let i = 1; i < vs.length; i++) {
    if ((vs[i] ?? NaN) < (vs[i - 1] ?? NaN)) n++;
    out[i] = n;
  }
  return out;
}

function dropsInWindow(w: SampleWindow): number | undefined {
  return w.drops === undefined ? undefined : (w.drops[w.hi - 1] ?? 0) - (w.drops[w.lo] ?? 0);
}

/** The range (rangeStart, rangeEnd] the window was cut from, and its length (ms). */
export interface RangeBounds {
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly range: number;
}

/** What a few functions need besides the window: the evaluation time and their scalar arguments. */
export interface RangeFunctionArgs {
  readonly t: number;
  scalar(index: number): number;
}

export type RangeFn = (w: SampleWindow, bounds: RangeBounds, args: RangeFunctionArgs) => number | undefined;

const at = (a: ArrayLike<number>, i: number): number => a[i] ?? NaN;

function extrapolatedRate(w: SampleWindow, bounds: RangeBounds, isCounter: boolean, isRate: boolean): number | undefined {
  const { lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const hasDrops = isCounter && dropsInWindow(w) !== 0;
  return extrapolatedRateAt(w.ts, w.vs, lo, hi, hasDrops, bounds.rangeStart, bounds.rangeEnd, bounds.range / 1000, isCounter, isRate);
}

/**
 * rate(), increase() and delta() of samples lo … hi - 1 (at least two) over the range
 * (rangeStart, rangeEnd] of `rangeSeconds` (= range ms / 1000, divided once by the caller), as
 * Prometheus computes them, bit for bit. `mayHaveDrops` false promises that the values never
 * decrease inside the window (no counter reset to add back). Primitive arguments only, so the
 * series-major loop can inline it.
 */
export function extrapolatedRateAt(
  ts: ArrayLike<number>,
  vs: ArrayLike<number>,
  lo: number,
  hi: number,
  mayHaveDrops: boolean,
  rangeStart: number,
  rangeEnd: number,
  rangeSeconds: number,
  isCounter: boolean,
  isRate: boolean,
): number {
  const firstT = at(ts, lo);
  const lastT = at(ts, hi - 1);
  const result = windowIncrease(vs, lo, hi, isCounter && mayHaveDrops);
  const toZero = isCounter ? durationToZero(at(vs, lo), result, lastT - firstT) : Infinity;
  return result * extrapolationFactor(firstT - rangeStart, rangeEnd - lastT, lastT - firstT, hi - lo, rangeSeconds, isRate, toZero);
}

/** Last minus first value of samples lo … hi - 1, plus every counter reset's drop when `withResets`. */
export function windowIncrease(vs: ArrayLike<number>, lo: number, hi: number, withResets: boolean): number {
  const firstV = at(vs, lo);
  let result = at(vs, hi - 1) - firstV;
  if (withResets) {
    let prev = firstV;
    for (let i = lo + 1; i < hi; i++) {
      const cur = at(vs, i);
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  return result;
}

/**
 * How long before its first sample a counter's window would have started at zero (seconds), when
 * that can cut the extrapolation to the range start; Infinity otherwise. With firstV >= 2 *
 * increase it is at least twice the sampled interval, more than extrapolationFactor ever
 * extrapolates (below 1.1 average intervals, or half of one): no division needed then.
 */
export function durationToZero(firstV: number, increase: number, spanMs: number): number {
  if (!(increase > 0 && firstV >= 0) || firstV >= 2 * increase) return Infinity;
  return (spanMs / 1000) * (firstV / increase);
}

/**
 * The factor Prometheus multiplies a window's increase by: extrapolated to the range's edges
 * (by at most 1.1 average sample intervals, else half of one; at the start no further back than
 * `toZero` seconds), and per second for rate(). Depends on these primitives alone, so a caller may
 * reuse it for windows that share them (a regular series on a grid of its own interval).
 */
export function extrapolationFactor(
  toStartMs: number,
  toEndMs: number,
  spanMs: number,
  samples: number,
  rangeSeconds: number,
  isRate: boolean,
  toZero: number,
): number {
  let durationToStart = toStartMs / 1000;
  let durationToEnd = toEndMs / 1000;
  const sampledInterval = spanMs / 1000;
  const averageBetween = sampledInterval / (samples - 1);
  const threshold = averageBetween * 1.1;
  if (durationToStart >= threshold) durationToStart = averageBetween / 2;
  if (toZero < durationToStart) durationToStart = toZero;
  if (durationToEnd >= threshold) durationToEnd = averageBetween / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeSeconds;
  return factor;
}

function instantValue(w: SampleWindow, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const last = at(vs, hi - 1);
  const prev = at(vs, hi - 2);
  const result = isRate && last < prev ? last : last - prev;
  if (!isRate) return result;
  const dt = at(ts, hi - 1) - at(ts, hi - 2);
  if (dt === 0) return undefined;
  return result / (dt / 1000);
}

/** Least-squares slope and intercept with x = (t - interceptTime) seconds. */
function linearRegression(w: SampleWindow, interceptTime: number): [number, number] {
  const { ts, vs, lo, hi } = w;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = at(vs, lo);
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const v = at(vs, i);
    if (i > lo && v !== at(vs, i - 1)) constY = false;
    n++;
    const x = (at(ts, i) - interceptTime) / 1000;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(v, sumY, cY);
    [sumXY, cXY] = kahanInc(x * v, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY)) return [NaN, NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return [slope, intercept];
}

const values = (w: SampleWindow): number[] => Array.prototype.slice.call(w.vs, w.lo, w.hi) as number[];

function extreme(w: SampleWindow, max: boolean): number {
  const { vs, lo, hi } = w;
  let acc = at(vs, lo);
  for (let i = lo + 1; i < hi; i++) {
    const v = at(vs, i);
    if ((max ? acc < v : acc > v) || Number.isNaN(acc)) acc = v;
  }
  return acc;
}

function tsOfExtreme(w: SampleWindow, max: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  let best = -1;
  for (let i = lo; i < hi; i++) {
    const v = at(vs, i);
    const b = best < 0 ? NaN : at(vs, best);
    if (best < 0 || (max ? v >= b : v <= b) || Number.isNaN(b)) best = i;
  }
  return best < 0 ? undefined : at(ts, best) / 1000;
}

export const RANGE_FUNCTIONS: Readonly<Record<string, RangeFn>> = {
  rate: (w, bounds) => extrapolatedRate(w, bounds, true, true),
  increase: (w, bounds) => extrapolatedRate(w, bounds, true, false),
  delta: (w, bounds) => extrapolatedRate(w, bounds, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  deriv: (w) => (w.hi - w.lo < 2 ? undefined : linearRegression(w, at(w.ts, w.lo))[0]),
  predict_linear: (w, _bounds, args) => {
    if (w.hi - w.lo < 2) return undefined;
    const duration = args.scalar(1);
    const [slope, intercept] = linearRegression(w, args.t);
    return slope * duration + intercept;
  },
  resets: (w) => {
    let n = dropsInWindow(w);
    if (n !== undefined) return n;
    n = 0;
    for (let i = w.lo + 1; i < w.hi; i++) if (at(w.vs, i) < at(w.vs, i - 1)) n++;
    return n;
  },
  changes: (w) => {
    let n = 0;
    for (let i = w.lo + 1; i < w.hi; i++) {
      const a = at(w.vs, i - 1);
      const b = at(w.vs, i);
      if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) n++;
    }
    return n;
  },
  avg_over_time: (w) => mean(w.vs, w.lo, w.hi),
  sum_over_time: (w) => {
    let sum = 0;
    let c = 0;
    for (let i = w.lo; i < w.hi; i++) [sum, c] = kahanInc(at(w.vs, i), sum, c);
    return Number.isFinite(sum) ? sum + c : sum;
  },
  count_over_time: (w) => w.hi - w.lo,
  min_over_time: (w) => extreme(w, false),
  max_over_time: (w) => extreme(w, true),
  last_over_time: (w) => at(w.vs, w.hi - 1),
  first_over_time: (w) => at(w.vs, w.lo),
  present_over_time: () => 1,
  stddev_over_time: (w) => Math.sqrt(variance(w.vs, w.lo, w.hi)),
  stdvar_over_time: (w) => variance(w.vs, w.lo, w.hi),
  quantile_over_time: (w, _bounds, args) => quantile(args.scalar(0), values(w)),
  mad_over_time: (w) => {
    const vs = values(w);
    const med = quantile(0.5, vs);
    return quantile(
      0.5,
      vs.map((v) => Math.abs(v - med)),
    );
  },
  ts_of_last_over_time: (w) => at(w.ts, w.hi - 1) / 1000,
  ts_of_first_over_time: (w) => at(w.ts, w.lo) / 1000,
  ts_of_max_over_time: (w) => tsOfExtreme(w, true),
  ts_of_min_over_time: (w) => tsOfExtreme(w, false),
  double_exponential_smoothing: (w, _bounds, args) => {
    const sf = args.scalar(1);
    const tf = args.scalar(2);
    if (!(sf > 0 && sf < 1)) throw new PromQLError("execution", `invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf}`);
    if (!(tf > 0 && tf < 1)) throw new PromQLError("execution", `invalid trend factor. Expected: 0 < tf < 1, got: ${tf}`);
    const { vs, lo, hi } = w;
    if (hi - lo < 2) return undefined;
    let s0 = 0;
    let s1 = at(vs, lo);
    let b = at(vs, lo + 1) - s1;
    for (let i = lo + 1; i < hi; i++) {
      const x = sf * at(vs, i);
      if (i > lo + 1) b = tf * (s1 - s0) + (1 - tf) * b;
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  },
};

/** Range functions with arguments besides the range vector; the rest depend on the window alone. */
const WITH_SCALAR_ARGS: ReadonlySet<string> = new Set(["predict_linear", "quantile_over_time", "double_exponential_smoothing"]);

/** Whether `name` is a range function whose value depends only on the window (no scalar arguments). */
export function isWindowOnlyFunction(name: string): boolean {
  return Object.hasOwn(RANGE_FUNCTIONS, name) && !WITH_SCALAR_ARGS.has(name);
}

/** Range functions that read `SampleWindow.drops` when given. */
export const USES_DROPS: ReadonlySet<string> = new Set(["rate", "increase", "resets"]);

/** Functions whose output keeps the metric name. */
export const KEEP_NAME: ReadonlySet<string> = new Set(["last_over_time", "first_over_time"]);

const COUNTER_NAME = /_(total|sum|count|bucket)$/;

/** The info annotation rate() and increase() give for a metric not named like a counter, or undefined. */
export function counterNameInfo(func: string, metric: string | undefined): string | undefined {
  if ((func !== "rate" && func !== "increase") || metric === undefined || COUNTER_NAME.test(metric)) return undefined;
  return `metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(metric)}`;
}
