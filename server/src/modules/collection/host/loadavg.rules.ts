import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

export interface Loadavg {
  load1: number;
  load5: number;
  load15: number;
}

/** /proc/loadavg: "1.37 1.39 1.25 3/94 14297"; only the three averages are exported. */
export function parseLoadavg(text: string): Loadavg {
  const [load1, load5, load15] = text.trim().split(/\s+/).slice(0, 3).map(Number);
  if (load1 === undefined || load5 === undefined || load15 === undefined || [load1, load5, load15].some(Number.isNaN)) {
    throw new Error(`unexpected /proc/loadavg content: ${JSON.stringify(text)}`);
  }
  return { load1, load5, load15 };
}

export function addLoadavgFamilies(builder: SnapshotBuilder, load: Loadavg): void {
  builder.add("node_load1", "gauge", "1m load average.", load.load1);
  builder.add("node_load5", "gauge", "5m load average.", load.load5);
  builder.add("node_load15", "gauge", "15m load average.", load.load15);
}
