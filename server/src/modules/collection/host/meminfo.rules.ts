import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

/** One /proc/meminfo line under node_exporter's name for it (the part after `node_memory_`). */
export interface MeminfoField {
  name: string;
  value: number;
}

/**
 * node_exporter's meminfo naming: `Active(anon)` becomes `Active_anon`; a line with a unit
 * (always kB) is multiplied by 1024 and gets `_bytes`; a line without one (HugePages_*) keeps
 * its name and count.
 */
export function parseMeminfo(text: string): MeminfoField[] {
  const fields: MeminfoField[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(/\s+/);
    const [key, value, unit] = parts;
    if (key === undefined || key === "" || value === undefined) continue;
    const base = key.replace(/:$/, "").replace(/\((.*)\)/, "_$1");
    const number = Number(value);
    if (Number.isNaN(number) || parts.length > 3) throw new Error(`invalid line in meminfo: ${line}`);
    fields.push(unit === undefined ? { name: base, value: number } : { name: `${base}_bytes`, value: number * 1024 });
  }
  return fields;
}

export function addMeminfoFamilies(builder: SnapshotBuilder, fields: readonly MeminfoField[]): void {
  for (const field of fields) {
    // node_exporter types a field as a counter only if it ends in lowercase "_total" (none does today).
    const type = field.name.endsWith("_total") ? "counter" : "gauge";
    builder.add(`node_memory_${field.name}`, type, `Memory information field ${field.name}.`, field.value);
  }
}
