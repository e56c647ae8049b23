/*
 * Prometheus marks a series as gone with a special NaN whose bits are 0x7ff0000000000002.
 * That is a signalling NaN, and JavaScript engines may quiet it (set bit 51) whenever a
 * number passes through a typed array or arithmetic, so Auspex recognises the marker by its
 * payload with the quiet bit ignored, and writes the canonical bits when it encodes one.
 */
const scratch = new DataView(new ArrayBuffer(8));

export const STALE_NAN_HIGH_WORD = 0x7ff00000;
export const STALE_NAN_LOW_WORD = 0x00000002;
const QUIET_BIT = 0x00080000;

/** The staleness marker as a number (bits may later be quieted; use isStaleNaN to test). */
export const STALE_NAN: number = (() => {
  scratch.setUint32(0, STALE_NAN_HIGH_WORD);
  scratch.setUint32(4, STALE_NAN_LOW_WORD);
  return scratch.getFloat64(0);
})();

export function isStaleNaN(value: number): boolean {
  if (!Number.isNaN(value)) return false;
  scratch.setFloat64(0, value);
  return (scratch.getUint32(0) & ~QUIET_BIT) === STALE_NAN_HIGH_WORD && scratch.getUint32(4) === STALE_NAN_LOW_WORD;
}

/** Writes `value` as a little-endian float64, with the canonical bits for a staleness marker. */
export function writeFloat64LE(view: DataView, offset: number, value: number): void {
  if (isStaleNaN(value)) {
    view.setUint32(offset, STALE_NAN_LOW_WORD, true);
    view.setUint32(offset + 4, STALE_NAN_HIGH_WORD, true);
  } else {
    view.setFloat64(offset, value, true);
  }
}
