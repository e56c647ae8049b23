import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

/** /proc/stat counts CPU time in USER_HZ ticks, which is 100 on every Linux ABI (procfs assumes the same). */
const USER_HZ = 100;

/** One `cpuN` line in seconds; fields missing on older kernels are 0. */
export interface CpuTimes {
  cpu: number;
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  guest: number;
  guestNice: number;
}

export interface ProcStat {
  /** Online CPUs only: the kernel leaves offline CPUs out of /proc/stat, so ids can have gaps. */
  cpus: CpuTimes[];
  interrupts: number;
  contextSwitches: number;
  bootTime: number;
  forks: number;
  procsRunning: number;
  procsBlocked: number;
}

export function parseStat(text: string): ProcStat {
  const stat: ProcStat = { cpus: [], interrupts: 0, contextSwitches: 0, bootTime: 0, forks: 0, procsRunning: 0, procsBlocked: 0 };
  for (const line of text.split("\n")) {
    const [key, ...fields] = line.trim().split(/\s+/);
    const first = Number(fields[0] ?? 0);
    const cpuId = /^cpu(\d+)$/.exec(key ?? "");
    if (cpuId) {
      const s = (i: number) => Number(fields[i] ?? 0) / USER_HZ;
      stat.cpus.push({
        cpu: Number(cpuId[1]),
        ...{ user: s(0), nice: s(1), system: s(2), idle: s(3), iowait: s(4), irq: s(5), softirq: s(6), steal: s(7) },
        ...{ guest: s(8), guestNice: s(9) },
      });
      continue;
    }
    switch (key) {
      case "intr": stat.interrupts = first; break;
      case "ctxt": stat.contextSwitches = first; break;
      case "btime": stat.bootTime = first; break;
      case "processes": stat.forks = first; break;
      case "procs_running": stat.procsRunning = first; break;
      case "procs_blocked": stat.procsBlocked = first; break;
      default: break; // the "cpu" total line, softirq, blank lines: node_exporter does not export them by default
    }
  }
  return stat;
}

/** The cpu collector's families; node_exporter reports guest time separately from the eight modes. */
export function addCpuFamilies(builder: SnapshotBuilder, cpus: readonly CpuTimes[]): void {
  const help = "Seconds the CPUs spent in each mode.";
  for (const c of cpus) {
    const cpu = String(c.cpu);
    for (const mode of ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"] as const) {
      builder.add("node_cpu_seconds_total", "counter", help, c[mode], { cpu, mode });
    }
  }
  const guestHelp = "Seconds the CPUs spent in guests (VMs) for each mode.";
  for (const c of cpus) {
    builder.add("node_cpu_guest_seconds_total", "counter", guestHelp, c.guest, { cpu: String(c.cpu), mode: "user" });
    builder.add("node_cpu_guest_seconds_total", "counter", guestHelp, c.guestNice, { cpu: String(c.cpu), mode: "nice" });
  }
}

/** The stat collector's families (boot time, context switches, interrupts, forks, process states). */
export function addStatFamilies(builder: SnapshotBuilder, stat: ProcStat): void {
  builder.add("node_intr_total", "counter", "Total number of interrupts serviced.", stat.interrupts);
  builder.add("node_context_switches_total", "counter", "Total number of context switches.", stat.contextSwitches);
  builder.add("node_forks_total", "counter", "Total number of forks.", stat.forks);
  builder.add("node_boot_time_seconds", "gauge", "Node boot time, in unixtime.", stat.bootTime);
  builder.add("node_procs_running", "gauge", "Number of processes in runnable state.", stat.procsRunning);
  builder.add("node_procs_blocked", "gauge", "Number of processes blocked waiting for I/O to complete.", stat.procsBlocked);
}
