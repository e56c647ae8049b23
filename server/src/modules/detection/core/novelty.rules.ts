/**
 * Transition-novelty member, in the manner of the Contextual Anomaly Detector (contextOSE): each
 * value becomes one of NOVELTY_LEVELS symbols over the series' range, and the member remembers
 * which symbol has followed each of the last 0–NOVELTY_ORDER symbols. A value whose symbol was
 * never seen after its recent contexts is novel, whatever its size: a burst of spikes in a series
 * that spikes alone, a new level, a shape the series never made. The score is in [0, 1]: half the
 * share of known contexts that did not predict the symbol, half the share of all contexts for
 * which it is new. After a raw score ≥ NOVELTY_HIGH the member reports nothing for NOVELTY_REST
 * samples (an event is reported once, while the series settles into what follows); so does an
 * event another member reported (`noveltyRest`).
 *
 * Causal range: contextOSE quantises over the whole file's minimum and maximum, which a stream
 * cannot know. Here the range grows when a value falls outside it, by NOVELTY_OVERSHOOT times the
 * larger of the old range and the excursion, so it grows rarely and normal values keep to a few
 * levels. When it grows, the symbols of the old range mean other values, so the memory is
 * relearned from the last NOVELTY_RECALL symbols, each moved to the new range by its level's
 * centre: the series keeps its recent habits instead of forgetting them (a cleared memory made
 * every transition after a new extreme look new). The value that widened the range is then scored
 * like any other (a new extreme is the onset score's business).
 *
 * Memory: successor sets are 16-bit masks in NOVELTY_SLOTS hashed slots shared by all orders
 * (collisions only make a transition look familiar), 256 bytes, and the recent symbols at four
 * bits each, 64 bytes, plus scalars.
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
/** Recent symbols kept to relearn the memory from when the range grows (a power of two). */
export const NOVELTY_RECALL = 128;
const RECALL_MASK = NOVELTY_RECALL - 1;

export interface NoveltyState {
  lo: number;
  hi: number;
  /** Successor masks: bit s of a slot = symbol s has followed a context hashed to it. */
  masks: Uint16Array;
  /** Last NOVELTY_ORDER symbols, most recent last; −1 = none yet. */
  recent: Int8Array;
  /** Samples since the last raw score ≥ NOVELTY_HIGH. */
  sinceHigh: number;
  /** Ring of the last NOVELTY_RECALL symbols (over the current range); `trailHead` is the next slot. */
  trail: Uint8Array;
  trailHead: number;
  trailCount: number;
}

export function createNovelty(): NoveltyState {
  return {
    lo: Number.NaN,
    hi: Number.NaN,
    masks: new Uint16Array(NOVELTY_SLOTS),
    recent: new Int8Array(NOVELTY_ORDER).fill(-1),
    sinceHigh: Number.POSITIVE_INFINITY,
    trail: new Uint8Array(NOVELTY_RECALL),
    trailHead: 0,
    trailCount: 0,
  };
}

/** Widens the range to hold v, relearning the memory from the trail moved to the new range. */
function growRange(n: NoveltyState, v: number): void {
  if (Number.isNaN(n.lo)) {
    n.lo = n.hi = v;
    return;
  }
  if (v >= n.lo && v <= n.hi) return;
  const oldLo = n.lo;
  const range = n.hi - n.lo;
  if (v < n.lo) n.lo = v - NOVELTY_OVERSHOOT * Math.max(range, n.hi - v);
  else n.hi = v + NOVELTY_OVERSHOOT * Math.max(range, v - n.lo);
  n.masks.fill(0);
  n.recent.fill(-1);
  // Each symbol moves by its level's centre (an empty range: every earlier value was oldLo).
  const width = range / NOVELTY_LEVELS;
  const start = trailStart(n);
  for (let k = 0; k < n.trailCount; k++) {
    const i = (start + k) & RECALL_MASK;
    const moved = symbolOf(n, range > 0 ? oldLo + (n.trail[i]! + 0.5) * width : oldLo);
    n.trail[i] = moved;
    learnSymbol(n, moved);
  }
}

/** Ring index of the oldest symbol in the trail. */
function trailStart(n: NoveltyState): number {
  return (n.trailHead - n.trailCount) & RECALL_MASK;
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

/** Adds the transition into `symbol` to the memory and returns its raw novelty in [0, 1]. */
function learnSymbol(n: NoveltyState, symbol: number): number {
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
  return ((known > 0 ? 1 - predicted / known : 1) + (contexts - predicted) / contexts) / 2;
}

/**
 * Learns v and returns its novelty in [0, 1] (0 during a rest period). Pure in the state: the same
 * values give the same scores.
 */
export function noveltyUpdate(n: NoveltyState, v: number): number {
  growRange(n, v);
  const symbol = symbolOf(n, v);
  const raw = learnSymbol(n, symbol);
  n.trail[n.trailHead] = symbol;
  n.trailHead = (n.trailHead + 1) & RECALL_MASK;
  if (n.trailCount < NOVELTY_RECALL) n.trailCount++;
  n.sinceHigh++;
  const reported = n.sinceHigh > NOVELTY_REST ? raw : 0;
  if (raw >= NOVELTY_HIGH) n.sinceHigh = 0;
  return reported;
}

/**
 * Starts a rest period as a high raw score would: another member reported an event, and the new
 * transitions while the series settles after it (a level shift's new neighbourhood, the way back
 * from a burst) are its consequences, not new events.
 */
export function noveltyRest(n: NoveltyState): void {
  n.sinceHigh = 0;
}

export function writeNovelty(n: NoveltyState, w: StateWriter): void {
  w.f64(n.lo);
  w.f64(n.hi);
  // Only "more than NOVELTY_REST" matters, so the count is stored saturated in one byte.
  w.u8(Math.min(n.sinceHigh, NOVELTY_REST + 1));
  for (let i = 0; i < NOVELTY_ORDER; i++) w.u8(n.recent[i]! & 0xff);
  for (let i = 0; i < NOVELTY_SLOTS; i++) w.u16(n.masks[i]!);
  // The trail, oldest first, two symbols to a byte (NOVELTY_LEVELS ≤ 16).
  w.u8(n.trailCount);
  const start = trailStart(n);
  for (let k = 0; k < n.trailCount; k += 2) {
    const a = n.trail[(start + k) & RECALL_MASK]!;
    const b = k + 1 < n.trailCount ? n.trail[(start + k + 1) & RECALL_MASK]! : 0;
    w.u8(a | (b << 4));
  }
}

export function readNovelty(r: StateReader): NoveltyState {
  const n = createNovelty();
  n.lo = r.f64();
  n.hi = r.f64();
  n.sinceHigh = r.u8();
  for (let i = 0; i < NOVELTY_ORDER; i++) n.recent[i] = (r.u8() << 24) >> 24;
  for (let i = 0; i < NOVELTY_SLOTS; i++) n.masks[i] = r.u16();
  n.trailCount = r.u8();
  for (let k = 0; k < n.trailCount; k += 2) {
    const pair = r.u8();
    n.trail[k] = pair & 0x0f;
    if (k + 1 < n.trailCount) n.trail[k + 1] = pair >>> 4;
  }
  n.trailHead = n.trailCount & RECALL_MASK;
  return n;
}
