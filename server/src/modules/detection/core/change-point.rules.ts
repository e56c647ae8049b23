/**
 * Change-point member: two-sided CUSUM on standardised residuals z (value minus the expected
 * value, over a long-run scale). Each step adds z − DRIFT to the upper sum and −z − DRIFT to the
 * lower sum, floored at zero; a sum reaching THRESHOLD means a sustained shift. Residuals are
 * clipped so a single spike cannot trip it (the other members catch spikes). The caller resets
 * the sums after a detection.
 */
import type { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";

const DRIFT = 1;
const THRESHOLD = 12;
const Z_CLIP = 4;

export interface ChangePointState {
  up: number;
  down: number;
}

export function createChangePoint(): ChangePointState {
  return { up: 0, down: 0 };
}

/** Adds a standardised residual; returns the signed score (±1 at the detection threshold). */
export function changePointUpdate(c: ChangePointState, z: number): number {
  const zc = z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
  c.up = Math.max(0, c.up + zc - DRIFT);
  c.down = Math.max(0, c.down - zc - DRIFT);
  return c.up >= c.down ? c.up / THRESHOLD : -c.down / THRESHOLD;
}

export function changePointReset(c: ChangePointState): void {
  c.up = 0;
  c.down = 0;
}

export function writeChangePoint(c: ChangePointState, w: StateWriter): void {
  w.f64(c.up);
  w.f64(c.down);
}

export function readChangePoint(r: StateReader): ChangePointState {
  return { up: r.f64(), down: r.f64() };
}
