import type { HostSample } from "#server/modules/detection/multivariate/host-features.rules.ts";

/** Cumulative node_exporter counters of a 4-CPU host, advanced one 15 s scrape at a time. */
export function syntheticHost(rand: () => number, instance = "h:9100") {
  const counters = { user: 0, system: 0, iowait: 0, idle: 0, faults: 0, ctx: 0, disk: 0, net: 0 };
  return (swapping: boolean): HostSample[] => {
    const busy = 0.2 + 0.4 * rand();
    const iowait = swapping ? 0.45 : 0.01 + 0.02 * rand();
    counters.user += 15 * busy;
    counters.system += 15 * busy * 0.3;
    counters.iowait += 15 * iowait;
    counters.idle += 15 * Math.max(0, 1 - busy * 1.3 - iowait);
    counters.faults += 15 * (swapping ? 900 : 2 * rand());
    counters.ctx += 15 * (2000 + 8000 * busy);
    counters.disk += 15 * (swapping ? 0.95 : 0.05 + 0.1 * busy);
    counters.net += 15 * (1e5 + 1e6 * busy);
    const s = (name: string, value: number, labels: Record<string, string> = {}): HostSample => ({ labels: { __name__: name, instance, job: "node", ...labels }, value });
    const out: HostSample[] = [];
    for (const cpu of ["0", "1", "2", "3"]) {
      for (const mode of ["user", "system", "iowait", "idle"] as const) out.push(s("node_cpu_seconds_total", counters[mode], { cpu, mode }));
    }
    out.push(
      s("node_load1", 4 * busy + (swapping ? 3 : 0)),
      s("node_memory_MemTotal_bytes", 16e9),
      s("node_memory_MemAvailable_bytes", swapping ? 0.3e9 : (10 - 6 * busy) * 1e9),
      s("node_memory_SwapTotal_bytes", 4e9),
      s("node_memory_SwapFree_bytes", swapping ? 1e9 : 3.9e9),
      s("node_vmstat_pgmajfault", counters.faults),
      s("node_context_switches_total", counters.ctx),
      s("node_disk_io_time_seconds_total", counters.disk, { device: "sda" }),
      s("node_network_receive_bytes_total", counters.net, { device: "eth0" }),
      s("node_filesystem_size_bytes", 100e9, { mountpoint: "/" }),
      s("node_filesystem_avail_bytes", 60e9, { mountpoint: "/" }),
    );
    return out;
  };
}
