/** At most `limit` holders at once; the rest wait in arrival order. */
export function createSemaphore(limit: number) {
  let active = 0;
  const waiting: Array<() => void> = [];
  return {
    /** Resolves when a slot is held; call the returned function exactly once to give it back. */
    async acquire(): Promise<() => void> {
      if (active < limit) active++;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        // The slot passes straight to the next waiter, so `active` is unchanged.
        if (next) next();
        else active--;
      };
    },
    get active(): number {
      return active;
    },
  };
}

export type Semaphore = ReturnType<typeof createSemaphore>;
