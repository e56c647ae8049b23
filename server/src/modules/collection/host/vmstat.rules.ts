import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

/** node_exporter's default --collector.vmstat.fields: OOM kills, paging, swapping and page faults. */
export const DEFAULT_VMSTAT_FIELDS = /^(oom_kill|pgpg|pswp|pg.*fault).*/;

export interface VmstatField {
  name: string;
  value: number;
}

/** /proc/vmstat: one "name value" pair per line. */
export function parseVmstat(text: string): VmstatField[] {
  const fields: VmstatField[] = [];
  for (const line of text.split("\n")) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === undefined || name === "" || value === undefined) continue;
    fields.push({ name, value: Number(value) });
  }
  return fields;
}

/** Untyped like node_exporter's (so "unknown" metadata): some fields are counters, some (nr_*) gauges. */
export function addVmstatFamilies(builder: SnapshotBuilder, fields: readonly VmstatField[], include = DEFAULT_VMSTAT_FIELDS): void {
  for (const field of fields) {
    if (!include.test(field.name)) continue;
    builder.add(`node_vmstat_${field.name}`, "unknown", `/proc/vmstat information field ${field.name}.`, field.value);
  }
}
