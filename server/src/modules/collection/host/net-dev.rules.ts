import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

/** One interface from /proc/net/dev: statistic name (e.g. "receive_bytes") to value. */
export interface NetDevice {
  device: string;
  stats: Map<string, number>;
}

/**
 * Column names come from the two header lines ("Receive" and "Transmit" groups), as node_exporter
 * reads them, so a kernel adding a column adds a family instead of shifting values. The
 * interface name ends at the first ':' (names cannot contain one), and wide counters can leave
 * no space after it ("eth0:1560017289 ...").
 */
export function parseNetDev(text: string): NetDevice[] {
  const lines = text.split("\n");
  const groups = (lines[1] ?? "").split("|");
  const columns = [
    ...(groups[1] ?? "").trim().split(/\s+/).map((c) => `receive_${c}`),
    ...(groups[2] ?? "").trim().split(/\s+/).map((c) => `transmit_${c}`),
  ];
  const devices: NetDevice[] = [];
  for (const line of lines.slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const values = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    const stats = new Map(columns.map((column, i) => [column, values[i] ?? 0]));
    devices.push({ device: line.slice(0, colon).trim(), stats });
  }
  return devices;
}

/** Upstream node_exporter excludes no interface by default (Debian's build excludes "lo"; we keep it). */
export function addNetDevFamilies(builder: SnapshotBuilder, devices: readonly NetDevice[], exclude?: RegExp): void {
  const kept = devices.filter((d) => exclude === undefined || !exclude.test(d.device));
  const columns = new Set(kept.flatMap((d) => [...d.stats.keys()]));
  for (const column of columns) {
    for (const device of kept) {
      const value = device.stats.get(column);
      if (value === undefined) continue;
      builder.add(`node_network_${column}_total`, "counter", `Network device statistic ${column}.`, value, { device: device.device });
    }
  }
}
