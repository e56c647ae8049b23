import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { systemClock } from "#server/platform/clock.ts";
import { mergeCpuTimes } from "#server/modules/collection/host/cpu-counters.rules.ts";
import { addDiskstatsFamilies, parseDiskstats } from "#server/modules/collection/host/diskstats.rules.ts";
import { addFilesystemFamilies } from "#server/modules/collection/host/filesystem.rules.ts";
import type { HostSnapshot } from "#server/modules/collection/host/host.types.ts";
import { addLoadavgFamilies, parseLoadavg } from "#server/modules/collection/host/loadavg.rules.ts";
import { addMeminfoFamilies, parseMeminfo } from "#server/modules/collection/host/meminfo.rules.ts";
import { parseMountinfo, selectMounts } from "#server/modules/collection/host/mountinfo.rules.ts";
import { addNetDevFamilies, parseNetDev } from "#server/modules/collection/host/net-dev.rules.ts";
import { createSnapshotBuilder, type SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";
import { addCpuFamilies, addStatFamilies, parseStat, type CpuTimes } from "#server/modules/collection/host/stat.rules.ts";
import { createStatfsReader, type Statfs } from "#server/modules/collection/host/statfs-reader.ts";
import { addTimeFamilies, addUnameFamilies, parseDomainname } from "#server/modules/collection/host/uname.rules.ts";
import { addVmstatFamilies, parseVmstat } from "#server/modules/collection/host/vmstat.rules.ts";

export interface HostCollectorOptions {
  /** Where the host's filesystem is seen: procfs is read under `<root>/proc`, mount points statfs'd under `<root>`. */
  root?: string;
  /** Wall clock for node_time_seconds. */
  now?: () => Date;
  statfs?: Statfs;
  statfsTimeoutMs?: number;
}

export interface HostCollector {
  collect(): Promise<HostSnapshot>;
}

/**
 * A collector reads and parses (either may throw) and returns what to add, so a failing one
 * adds nothing and is reported through node_scrape_collector_success, as node_exporter does.
 */
type Collector = () => Promise<(builder: SnapshotBuilder) => void>;

export function createHostCollector(options: HostCollectorOptions = {}): HostCollector {
  const root = options.root ?? "/";
  const now = options.now ?? (() => systemClock.now());
  const readStatfs = createStatfsReader({ statfs: options.statfs, timeoutMs: options.statfsTimeoutMs });
  const proc = (file: string) => readFile(path.join(root, "proc", file), "utf8");
  let cpuState = new Map<number, CpuTimes>();

  const collectors: ReadonlyArray<[string, Collector]> = [
    [
      "cpu",
      async () => {
        const next = mergeCpuTimes(cpuState, parseStat(await proc("stat")).cpus);
        return (builder) => {
          cpuState = next;
          addCpuFamilies(builder, [...next.values()]);
        };
      },
    ],
    [
      "stat",
      async () => {
        const stat = parseStat(await proc("stat"));
        return (builder) => addStatFamilies(builder, stat);
      },
    ],
    [
      "meminfo",
      async () => {
        const fields = parseMeminfo(await proc("meminfo"));
        return (builder) => addMeminfoFamilies(builder, fields);
      },
    ],
    [
      "loadavg",
      async () => {
        const load = parseLoadavg(await proc("loadavg"));
        return (builder) => addLoadavgFamilies(builder, load);
      },
    ],
    [
      "filesystem",
      async () => {
        const mounts = selectMounts(parseMountinfo(await proc("self/mountinfo")));
        const stats = await Promise.all(mounts.map(async (mount) => ({ mount, stats: await readStatfs(path.join(root, mount.mountpoint)) })));
        return (builder) => addFilesystemFamilies(builder, stats);
      },
    ],
    [
      "diskstats",
      async () => {
        const disks = parseDiskstats(await proc("diskstats"));
        return (builder) => addDiskstatsFamilies(builder, disks);
      },
    ],
    [
      "netdev",
      async () => {
        const devices = parseNetDev(await proc("net/dev"));
        return (builder) => addNetDevFamilies(builder, devices);
      },
    ],
    [
      "vmstat",
      async () => {
        const fields = parseVmstat(await proc("vmstat"));
        return (builder) => addVmstatFamilies(builder, fields);
      },
    ],
    [
      "time",
      async () => {
        const at = now();
        return (builder) => addTimeFamilies(builder, at);
      },
    ],
    [
      "uname",
      async () => {
        const domainname = parseDomainname(await proc("sys/kernel/domainname").catch(() => undefined));
        const uname = { sysname: os.type(), release: os.release(), version: os.version(), machine: os.machine(), nodename: os.hostname(), domainname };
        return (builder) => addUnameFamilies(builder, uname);
      },
    ],
  ];

  return {
    async collect() {
      const results = await Promise.allSettled(collectors.map(([, collector]) => collector()));
      const builder = createSnapshotBuilder();
      results.forEach((result) => {
        if (result.status === "fulfilled") result.value(builder);
      });
      results.forEach((result, i) => {
        const collector = collectors[i]?.[0] ?? "";
        const help = "node_exporter: Whether a collector succeeded.";
        builder.add("node_scrape_collector_success", "gauge", help, result.status === "fulfilled" ? 1 : 0, { collector });
      });
      return builder.build();
    },
  };
}
