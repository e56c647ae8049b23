import type { Timers } from "#server/platform/timers.ts";

/** Lets pending promise callbacks (work finishing, loops releasing slots) run. */
export async function settle(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Timers on virtual time: `advance` fires due callbacks in time order, settling after each. */
export function virtualTimers(start = 1_000_000): Timers & { advance(ms: number): Promise<void>; pending(): number } {
  let now = start;
  let nextId = 0;
  const queue = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout: (callback, ms) => {
      const id = ++nextId;
      queue.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout: (handle) => void queue.delete(handle as number),
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...queue.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        queue.delete(due[0]);
        now = due[1].at;
        due[1].callback();
        await settle();
      }
      now = end;
    },
    pending: () => queue.size,
  };
}
