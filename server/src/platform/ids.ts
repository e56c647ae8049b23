import { randomBytes } from "node:crypto";

let lastMs = -1;
let sequence = 0;

/**
 * UUIDv7 (RFC 9562): time-ordered, so primary-key indexes stay append-mostly on both SQLite and
 * PostgreSQL, and ids sort by creation time. Within one millisecond a 12-bit counter in `rand_a`
 * (RFC 9562 §6.2, method 1) keeps them strictly increasing in this process, so rows written in
 * one millisecond (an incident's timeline) still sort in the order they were made.
 */
export function newId(now: number = Date.now()): string {
  let ms = now;
  if (ms <= lastMs) {
    ms = lastMs;
    sequence += 1;
    // Counter exhausted: borrow the next millisecond rather than repeat.
    if (sequence > 0xfff) {
      ms += 1;
      sequence = 0;
    }
  } else {
    // Start low in the range so a busy millisecond has room to count.
    sequence = randomBytes(1)[0]! & 0x7f;
  }
  lastMs = ms;
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
