/**
 * Robust baseline member: rolling median and MAD over the last BASELINE_WINDOW accepted values.
 * A ring buffer holds the window in arrival order and a sorted copy gives the median in O(1)
 * and the MAD in O(window) (two-pointer merge of the deviations on either side of the median).
 */
import type { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";

export const BASELINE_WINDOW = 48;
/** Consistency constant: 1.4826 × MAD estimates σ for Gaussian noise. */
export const MAD_TO_SIGMA = 1.4826;

export interface BaselineState {
  ring: Float64Array;
  sorted: Float64Array;
  count: number;
  head: number;
}

export function createBaseline(): BaselineState {
  return { ring: new Float64Array(BASELINE_WINDOW), sorted: new Float64Array(BASELINE_WINDOW), count: 0, head: 0 };
}

function lowerBound(a: Float64Array, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds a finite value, evicting the oldest once the window is full. */
export function baselinePush(b: BaselineState, x: number): void {
  const s = b.sorted;
  let n = b.count;
  if (n === BASELINE_WINDOW) {
    const old = b.ring[b.head]!;
    const at = lowerBound(s, n, old);
    s.copyWithin(at, at + 1, n);
    n--;
  } else {
    b.count++;
  }
  const at = lowerBound(s, n, x);
  s.copyWithin(at + 1, at, n);
  s[at] = x;
  b.ring[b.head] = x;
  b.head = (b.head + 1) % BASELINE_WINDOW;
}

export function baselineMedian(b: BaselineState): number {
  const n = b.count;
  if (n === 0) return Number.NaN;
  const s = b.sorted;
  const h = n >>> 1;
  return n & 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Median absolute deviation from `median` over the window. */
export function baselineMad(b: BaselineState, median: number): number {
  const n = b.count;
  if (n === 0) return Number.NaN;
  const s = b.sorted;
  // Deviations left of the split grow leftwards, right of it grow rightwards: merge them.
  let i = lowerBound(s, n, median) - 1;
  let j = i + 1;
  const k = (n - 1) >>> 1;
  let prev = 0;
  let cur = 0;
  for (let taken = 0; taken <= k + (n & 1 ? 0 : 1); taken++) {
    const dl = i >= 0 ? median - s[i]! : Number.POSITIVE_INFINITY;
    const dr = j < n ? s[j]! - median : Number.POSITIVE_INFINITY;
    prev = cur;
    if (dl <= dr) {
      cur = dl;
      i--;
    } else {
      cur = dr;
      j++;
    }
  }
  return n & 1 ? cur : (prev + cur) / 2;
}

export function writeBaseline(b: BaselineState, w: StateWriter): void {
  w.u8(b.count);
  w.u8(b.head);
  w.f64s(b.ring, b.count);
}

export function readBaseline(r: StateReader): BaselineState {
  const b = createBaseline();
  b.count = r.u8();
  b.head = r.u8();
  r.f64s(b.ring, b.count);
  b.sorted.set(b.ring.subarray(0, b.count));
  b.sorted.subarray(0, b.count).sort();
  return b;
}
