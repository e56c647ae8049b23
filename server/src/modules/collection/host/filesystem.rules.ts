import type { Mount } from "#server/modules/collection/host/mountinfo.rules.ts";
import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

/** The statfs(2) fields node_exporter uses (Node's fs.statfs names). */
export interface FsStats {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

/** `stats` is undefined when statfs failed or did not answer in time. */
export interface MountStats {
  mount: Mount;
  stats: FsStats | undefined;
}

type SizeFamily = { name: string; help: string; value: (s: FsStats) => number };

const SIZE_FAMILIES: readonly SizeFamily[] = [
  { name: "node_filesystem_size_bytes", help: "Filesystem size in bytes.", value: (s) => s.blocks * s.bsize },
  { name: "node_filesystem_free_bytes", help: "Filesystem free space in bytes.", value: (s) => s.bfree * s.bsize },
  { name: "node_filesystem_avail_bytes", help: "Filesystem space available to non-root users in bytes.", value: (s) => s.bavail * s.bsize },
  { name: "node_filesystem_files", help: "Filesystem total file nodes.", value: (s) => s.files },
  { name: "node_filesystem_files_free", help: "Filesystem total free file nodes.", value: (s) => s.ffree },
];

/** As node_exporter: device_error and readonly for every mount, sizes only for those statfs answered. */
export function addFilesystemFamilies(builder: SnapshotBuilder, mounts: readonly MountStats[]): void {
  const labels = ({ mount }: MountStats) => ({ device: mount.device, fstype: mount.fstype, mountpoint: mount.mountpoint });
  for (const family of SIZE_FAMILIES) {
    for (const entry of mounts) {
      if (entry.stats !== undefined) builder.add(family.name, "gauge", family.help, family.value(entry.stats), labels(entry));
    }
  }
  for (const entry of mounts) {
    builder.add("node_filesystem_readonly", "gauge", "Filesystem read-only status.", entry.mount.readonly ? 1 : 0, labels(entry));
  }
  const errorHelp = "Whether an error occurred while getting statistics for the given device.";
  for (const entry of mounts) {
    builder.add("node_filesystem_device_error", "gauge", errorHelp, entry.stats === undefined ? 1 : 0, labels(entry));
  }
}
