import type { SnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

/** uname(2)'s fields, which label node_exporter's node_uname_info. */
export interface Uname {
  sysname: string;
  release: string;
  version: string;
  machine: string;
  nodename: string;
  domainname: string;
}

/** /proc/sys/kernel/domainname holds the NIS domain; the kernel's unset value is "(none)". */
export function parseDomainname(text: string | undefined): string {
  const name = text?.trim() ?? "";
  return name === "" ? "(none)" : name;
}

export function addUnameFamilies(builder: SnapshotBuilder, uname: Uname): void {
  builder.add("node_uname_info", "gauge", "Labeled system information as provided by the uname system call.", 1, { ...uname });
}

/** The time collector's clock reading (the wall clock at collection, with sub-second precision). */
export function addTimeFamilies(builder: SnapshotBuilder, now: Date): void {
  builder.add("node_time_seconds", "gauge", "System time in seconds since epoch (1970).", now.getTime() / 1000);
}
