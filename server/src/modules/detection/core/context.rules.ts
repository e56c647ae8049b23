/**
 * Contextual member: how unlike every earlier stretch of the series the last CONTEXT_WINDOW
 * values are (nearest-neighbour distance, as KNN-CAD and ARTime judge context rather than single
 * values). Each value is quantised to a byte when it arrives, relative to the series' slow mean
 * and mean absolute spread (QUANT_RANGE spreads either side, clipped), so the history of
 * 320–384 values costs one byte each. Every CONTEXT_STRIDE-th value, the L1 distance of
 * the current window to its nearest earlier, non-overlapping window is found exactly (half- and
 * quarter-window sums give lower bounds, early abandoning and a warm start keep it cheap) and
 * divided by its own running typical value: a ratio well above 1 means the recent shape has no
 * precedent in the history. The ratio is held between searches. It feeds only the onset score (`anomalyScore`),
 * not the band score.
 */
import type { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";

/** The history holds between CONTEXT_HISTORY and CONTEXT_HISTORY + CONTEXT_SLACK values. */
export const CONTEXT_HISTORY = 320;
/** Oldest values are dropped in blocks of this size, so the buffer is moved rarely (cost). */
export const CONTEXT_SLACK = 64;
const CAPACITY = CONTEXT_HISTORY + CONTEXT_SLACK;
export const CONTEXT_WINDOW = 8;
/** The nearest-neighbour search runs on every CONTEXT_STRIDE-th value (cost: ≈ 10 µs per search on noisy series). */
export const CONTEXT_STRIDE = 8;
const HALF = CONTEXT_WINDOW >> 1;
const QUARTER = CONTEXT_WINDOW >> 2;
/** Quantisation range, in mean absolute spreads either side of the slow mean. */
const QUANT_RANGE = 8;
const LEVELS = 255;
/** Rate, per search, of the running typical nearest-neighbour distance. */
const TYPICAL_RATE = 0.08;
/** Typical distances below this many levels per value are floored (quantisation noise). */
export const MIN_DISTANCE = 1;

export interface ContextState {
  /** Quantised values, oldest first. */
  hist: Uint8Array;
  count: number;
  /** Running typical nearest-neighbour distance (levels per value); NaN until first measured. */
  typical: number;
  /** Values pushed since the last search, and the ratio it found (held until the next). */
  steps: number;
  last: number;
  /** Start of the likely nearest window (speed only: never changes a result; not persisted). */
  hint: number;
  /** sums[p] = sum of the half window starting at p (derived from hist; rebuilt on restore). */
  sums: Uint16Array;
  /** quarters[p] = sum of the quarter window starting at p (derived likewise). */
  quarters: Uint16Array;
}

export function createContext(): ContextState {
  return {
    hist: new Uint8Array(CAPACITY),
    count: 0,
    typical: Number.NaN,
    steps: 0,
    last: 0,
    hint: -1,
    sums: new Uint16Array(CAPACITY),
    quarters: new Uint16Array(CAPACITY),
  };
}

/** Quantises v relative to center ± QUANT_RANGE × scale into 0..LEVELS (middle when scale is unknown). */
export function contextQuantise(v: number, center: number, scale: number): number {
  if (!(scale > 0)) return LEVELS >> 1;
  const q = Math.round(((v - center) / (QUANT_RANGE * scale) + 1) * 0.5 * LEVELS);
  return q < 0 ? 0 : q > LEVELS ? LEVELS : q;
}

function sumOf(h: Uint8Array, from: number, to: number): number {
  let x = 0;
  for (let i = from; i < to; i++) x += h[i]!;
  return x;
}

/** L1 distance of the windows starting at a and b, abandoned once it reaches `bound`. */
function windowDistance(h: Uint8Array, a: number, b: number, bound: number): number {
  let d = 0;
  for (let i = 0; i < CONTEXT_WINDOW && d < bound; i++) {
    const x = h[a + i]! - h[b + i]!;
    d += x < 0 ? -x : x;
  }
  return d;
}

/**
 * Adds a quantised value; returns the nearest-neighbour distance of the latest window over its
 * typical value (0 until the history holds enough windows), and learns the typical distance.
 */
export function contextUpdate(c: ContextState, q: number): number {
  const h = c.hist;
  const sums = c.sums;
  const quarters = c.quarters;
  if (c.count === CAPACITY) {
    h.copyWithin(0, CONTEXT_SLACK, CAPACITY);
    sums.copyWithin(0, CONTEXT_SLACK, CAPACITY);
    quarters.copyWithin(0, CONTEXT_SLACK, CAPACITY);
    c.count -= CONTEXT_SLACK;
    c.hint -= CONTEXT_SLACK;
  }
  const n = ++c.count;
  h[n - 1] = q;
  if (n >= HALF) sums[n - HALF] = sumOf(h, n - HALF, n);
  if (n >= QUARTER) quarters[n - QUARTER] = sumOf(h, n - QUARTER, n);
  c.steps++;
  if (c.steps < CONTEXT_STRIDE) return c.last;
  c.steps = 0;
  // Candidate windows end at least one window before the current window starts.
  const W = CONTEXT_WINDOW;
  const lastStart = n - 3 * W;
  if (lastStart < 0) return (c.last = 0);
  const cur = n - W;
  const curA = sums[cur]!;
  const curB = sums[cur + HALF]!;
  const cq0 = quarters[cur]!;
  const cq1 = quarters[cur + QUARTER]!;
  const cq2 = quarters[cur + 2 * QUARTER]!;
  const cq3 = quarters[cur + 3 * QUARTER]!;
  // Warm start on the continuation of the previous nearest window: the minimum is exact whatever
  // the starting candidate, a close one only makes the bounds below cut earlier.
  let best = Number.POSITIVE_INFINITY;
  let at = c.hint;
  if (at >= 0 && at <= lastStart) best = windowDistance(h, at, cur, best);
  for (let p = 0; p <= lastStart && best > 0; p++) {
    const ga = sums[p]! - curA;
    const gb = sums[p + HALF]! - curB;
    if ((ga < 0 ? -ga : ga) + (gb < 0 ? -gb : gb) >= best) continue;
    // The quarter sums bound it tighter (by the triangle inequality, as the halves do).
    const q0 = quarters[p]! - cq0;
    const q1 = quarters[p + QUARTER]! - cq1;
    const q2 = quarters[p + 2 * QUARTER]! - cq2;
    const q3 = quarters[p + 3 * QUARTER]! - cq3;
    if ((q0 < 0 ? -q0 : q0) + (q1 < 0 ? -q1 : q1) + (q2 < 0 ? -q2 : q2) + (q3 < 0 ? -q3 : q3) >= best) continue;
    const d = windowDistance(h, p, cur, best);
    if (d < best) {
      best = d;
      at = p;
    }
  }
  c.hint = at + CONTEXT_STRIDE;
  const dist = best / W;
  const typ = c.typical;
  const ratio = Number.isNaN(typ) ? 0 : dist / Math.max(typ, MIN_DISTANCE);
  // Robust learning: one outlying distance moves the typical value by at most 3 × itself.
  const clipped = Number.isNaN(typ) ? dist : Math.min(dist, 3 * Math.max(typ, MIN_DISTANCE));
  c.typical = Number.isNaN(typ) ? clipped : typ + TYPICAL_RATE * (clipped - typ);
  c.last = ratio;
  return ratio;
}

export function writeContext(c: ContextState, w: StateWriter): void {
  w.u16(c.count);
  w.f64(c.typical);
  w.u8(c.steps);
  w.f64(c.last);
  for (let i = 0; i < CAPACITY; i++) w.u8(c.hist[i]!);
}

export function readContext(r: StateReader): ContextState {
  const c = createContext();
  c.count = r.u16();
  c.typical = r.f64();
  c.steps = r.u8();
  c.last = r.f64();
  for (let i = 0; i < CAPACITY; i++) c.hist[i] = r.u8();
  for (let p = 0; p + HALF <= c.count; p++) c.sums[p] = sumOf(c.hist, p, p + HALF);
  for (let p = 0; p + QUARTER <= c.count; p++) c.quarters[p] = sumOf(c.hist, p, p + QUARTER);
  return c;
}
