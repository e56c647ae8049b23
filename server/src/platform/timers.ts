/** Timer functions, injectable so tests run schedules on virtual time. */
export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // Schedule timers alone must not keep the process alive (shutdown closes the schedulers).
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * A fixed place inside an interval for a key (FNV-1a of it), as Prometheus offsets scrapes and
 * rule evaluations: many jobs on one interval spread out instead of firing together.
 */
export function hashedOffset(key: string, intervalMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % intervalMs;
}
