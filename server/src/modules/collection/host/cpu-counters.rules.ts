import type { CpuTimes } from "#server/modules/collection/host/stat.rules.ts";

/** node_exporter's jumpBackSeconds: an idle drop this large means the CPU was unplugged and replugged. */
const JUMP_BACK_SECONDS = 3;

const COUNTERS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guestNice"] as const;

/**
 * Keeps CPU counters monotonic the way node_exporter does: the kernel's per-CPU tick counts can
 * step back slightly (a known accounting race), which rate() would read as a counter reset, so
 * a smaller value keeps the previous one; a large idle drop means a hotplug and starts afresh.
 * CPUs no longer in /proc/stat (offline) are forgotten. Returns the new state; `previous` is
 * not modified.
 */
export function mergeCpuTimes(previous: ReadonlyMap<number, CpuTimes>, current: readonly CpuTimes[]): Map<number, CpuTimes> {
  const next = new Map<number, CpuTimes>();
  for (const now of current) {
    const before = previous.get(now.cpu);
    if (before === undefined || before.idle - now.idle >= JUMP_BACK_SECONDS) {
      next.set(now.cpu, { ...now });
      continue;
    }
    const merged: CpuTimes = { ...now };
    for (const field of COUNTERS) merged[field] = Math.max(before[field], now[field]);
    next.set(now.cpu, merged);
  }
  return next;
}
