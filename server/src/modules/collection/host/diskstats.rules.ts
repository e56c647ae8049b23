import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

/** Upstream node_exporter's default --collector.diskstats.device-exclude: partitions, RAM, loop and floppy devices. */
export const DEFAULT_DISK_DEVICE_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** The kernel reports sectors of 512 bytes here whatever the device's real sector size (Documentation/admin-guide/iostats). */
const SECTOR_BYTES = 512;

/** One /proc/diskstats line: device name and its counters in kernel order (11, 15 or 17 of them depending on the kernel). */
export interface DiskStats {
  major: number;
  minor: number;
  device: string;
  counters: number[];
}

export function parseDiskstats(text: string): DiskStats[] {
  const disks: DiskStats[] = [];
  for (const line of text.split("\n")) {
    const [major, minor, device, ...counters] = line.trim().split(/\s+/);
    if (major === undefined || minor === undefined || device === undefined || counters.length < 11) continue;
    disks.push({ major: Number(major), minor: Number(minor), device, counters: counters.map(Number) });
  }
  return disks;
}

type Family = { name: string; type: "counter" | "gauge"; help: string; scale: number };

const ms = 0.001;
/** node_exporter's families in /proc/diskstats column order; the last six need newer kernels (4.18, 5.5). */
const FAMILIES: readonly Family[] = [
  { name: "node_disk_reads_completed_total", type: "counter", help: "The total number of reads completed successfully.", scale: 1 },
  { name: "node_disk_reads_merged_total", type: "counter", help: "The total number of reads merged.", scale: 1 },
  { name: "node_disk_read_bytes_total", type: "counter", help: "The total number of bytes read successfully.", scale: SECTOR_BYTES },
  { name: "node_disk_read_time_seconds_total", type: "counter", help: "The total number of seconds spent by all reads.", scale: ms },
  { name: "node_disk_writes_completed_total", type: "counter", help: "The total number of writes completed successfully.", scale: 1 },
  { name: "node_disk_writes_merged_total", type: "counter", help: "The number of writes merged.", scale: 1 },
  { name: "node_disk_written_bytes_total", type: "counter", help: "The total number of bytes written successfully.", scale: SECTOR_BYTES },
  { name: "node_disk_write_time_seconds_total", type: "counter", help: "This is the total number of seconds spent by all writes.", scale: ms },
  { name: "node_disk_io_now", type: "gauge", help: "The number of I/Os currently in progress.", scale: 1 },
  { name: "node_disk_io_time_seconds_total", type: "counter", help: "Total seconds spent doing I/Os.", scale: ms },
  { name: "node_disk_io_time_weighted_seconds_total", type: "counter", help: "The weighted # of seconds spent doing I/Os.", scale: ms },
  { name: "node_disk_discards_completed_total", type: "counter", help: "The total number of discards completed successfully.", scale: 1 },
  { name: "node_disk_discards_merged_total", type: "counter", help: "The total number of discards merged.", scale: 1 },
  { name: "node_disk_discarded_sectors_total", type: "counter", help: "The total number of sectors discarded successfully.", scale: 1 },
  { name: "node_disk_discard_time_seconds_total", type: "counter", help: "This is the total number of seconds spent by all discards.", scale: ms },
  { name: "node_disk_flush_requests_total", type: "counter", help: "The total number of flush requests completed successfully", scale: 1 },
  { name: "node_disk_flush_requests_time_seconds_total", type: "counter", help: "This is the total number of seconds spent by all flush requests.", scale: ms },
];

export function addDiskstatsFamilies(builder: SnapshotBuilder, disks: readonly DiskStats[], exclude = DEFAULT_DISK_DEVICE_EXCLUDE): void {
  const kept = disks.filter((disk) => !exclude.test(disk.device));
  // Family by family rather than disk by disk, so each family's series sit together in the exposition.
  FAMILIES.forEach((family, column) => {
    for (const disk of kept) {
      const raw = disk.counters[column];
      if (raw !== undefined) builder.add(family.name, family.type, family.help, raw * family.scale, { device: disk.device });
    }
  });
}
