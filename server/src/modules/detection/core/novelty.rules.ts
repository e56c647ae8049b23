/**
 * Transition-novelty member, in the manner of the Contextual Anomaly Detector (contextOSE): each
 * value becomes one of NOVELTY_LEVELS symbols over the series' range, and the member remembers
 * which symbol has followed each of the last 0–NOVELTY_ORDER symbols. A value whose symbol was
 * never seen after its recent contexts is novel, whatever its size: a burst of spikes in a series
 * that spikes alone, a new level, a shape the series never made. The score is in [0, 1]: half the
 * share of known contexts that did not predict the symbol, half the share of all contexts for
 * which it is new. After a raw score ≥ NOVELTY_HIGH the member reports nothing for NOVELTY_REST
 * samples (an event is reported once, while the series settles into what follows).
 *
 * Causal range: contextOSE quantises over the whole file's minimum and maximum, which a stream
 * cannot know. Here the range grows when a value falls outside it, by NOVELTY_OVERSHOOT times the
 * larger of the old range and the excursion, so it grows rarely and normal values keep to a few
 * levels; the memory is cleared when it grows (symbols of the old range mean other values now),
 * and that value itself scores 1.
 *
 * Memory: successor sets are 16-bit masks in NOVELTY_SLOTS hashed slots shared by all orders
 * (collisions only make a transition look familiar), so the state is 256 bytes plus scalars.
 */
import type { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";

export const NOVELTY_LEVELS = 16;
/** Longest context, in symbols (orders 0 … NOVELTY_ORDER are remembered). */
export const NOVELTY_ORDER = 3;
export const NOVELTY_SLOTS = 128;
const SLOT_SHIFT = 32 - Math.log2(NOVELTY_SLOTS);
/** Raw score that starts a rest period, and its length in samples. */
export const NOVELTY_HIGH = 0.75;
export const NOVELTY_REST = 200;
/** How far past a new extreme the range grows, in units of the old range (or the excursion). */
export const NOVELTY_OVERSHOOT = 2;

export interface NoveltyState {
  lo: number;
  hi: number;
  /** Successor masks: bit s of a slot = symbol s has followed a context hashed to it. */
  masks: Uint16Array;
  /** Last NOVELTY_ORDER symbols, most recent last; −1 = none yet. */
  recent: Int8Array;
  /** Samples since the last raw score ≥ NOVELTY_HIGH. */
  sinceHigh: number;
}

export function createNovelty(): NoveltyState {
  return {
    lo: Number.NaN,
    hi: Number.NaN,
    masks: new Uint16Array(NOVELTY_SLOTS),
    recent: new Int8Array(NOVELTY_ORDER).fill(-1),
    sinceHigh: Number.POSITIVE_INFINITY,
  };
}

/** Widens the range to hold v; true when a non-empty range was widened (the memory is then void). */
function growRange(n: NoveltyState, v: number): boolean {
  if (Number.isNaN(n.lo)) {
    n.lo = n.hi = v;
    return false;
  }
  if (v >= n.lo && v <= n.hi) return false;
  const range = n.hi - n.lo;
  if (v < n.lo) n.lo = v - NOVELTY_OVERSHOOT * Math.max(range, n.hi - v);
  else n.hi = v + NOVELTY_OVERSHOOT * Math.max(range, v - n.lo);
  return range > 0;
}

function symbolOf(n: NoveltyState, v: number): number {
  const range = n.hi - n.lo;
  if (!(range > 0)) return 0;
  const q = Math.floor(((v - n.lo) / range) * NOVELTY_LEVELS);
  return q < 0 ? 0 : q >= NOVELTY_LEVELS ? NOVELTY_LEVELS - 1 : q;
}

/** Slot of the context of `order` symbols ending the recent history (order 0: the empty context). */
function slotOf(order: number, code: number): number {
  return (Math.imul(code ^ (order << 24), 2654435761) >>> 0) >>> SLOT_SHIFT;
}

/**
 * Learns v and returns its novelty in [0, 1] (0 during a rest period). Pure in the state: the same
 * values give the same scores.
 */
export function noveltyUpdate(n: NoveltyState, v: number): number {
  if (growRange(n, v)) n.masks.fill(0);
  const symbol = symbolOf(n, v);
  const bit = 1 << symbol;
  const recent = n.recent;
  let known = 0;
  let predicted = 0;
  let code = 0;
  for (let order = 0; order <= NOVELTY_ORDER; order++) {
    if (order > 0) {
      const s = recent[NOVELTY_ORDER - order]!;
      if (s < 0) break;
      code = code * NOVELTY_LEVELS + s + 1;
    }
    const slot = slotOf(order, code);
    const mask = n.masks[slot]!;
    if (mask !== 0) {
      known++;
      if (mask & bit) predicted++;
    }
    n.masks[slot] = mask | bit;
  }
  for (let i = 1; i < NOVELTY_ORDER; i++) recent[i - 1] = recent[i]!;
  recent[NOVELTY_ORDER - 1] = symbol;
  const contexts = NOVELTY_ORDER + 1;
  const raw = ((known > 0 ? 1 - predicted / known : 1) + (contexts - predicted) / contexts) / 2;
  n.sinceHigh++;
  const reported = n.sinceHigh > NOVELTY_REST ? raw : 0;
  if (raw >= NOVELTY_HIGH) n.sinceHigh = 0;
  return reported;
}

export function writeNovelty(n: NoveltyState, w: StateWriter): void {
  w.f64(n.lo);
  w.f64(n.hi);
  // Only "more than NOVELTY_REST" matters, so the count is stored saturated in one byte.
  w.u8(Math.min(n.sinceHigh, NOVELTY_REST + 1));
  for (let i = 0; i < NOVELTY_ORDER; i++) w.u8(n.recent[i]! & 0xff);
  for (let i = 0; i < NOVELTY_SLOTS; i++) {
    w.u8(n.masks[i]! & 0xff);
    w.u8(n.masks[i]! >>> 8);
  }
}

export function readNovelty(r: StateReader): NoveltyState {
  const n = createNovelty();
  n.lo = r.f64();
  n.hi = r.f64();
  n.sinceHigh = r.u8();
  for (let i = 0; i < NOVELTY_ORDER; i++) n.recent[i] = (r.u8() << 24) >> 24;
  for (let i = 0; i < NOVELTY_SLOTS; i++) n.masks[i] = r.u8() | (r.u8() << 8);
  return n;
}
