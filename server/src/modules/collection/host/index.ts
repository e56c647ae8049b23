/**
 * The built-in host collector: the Linux machine Auspex runs on, under node_exporter's metric
 * names, types, HELP texts and labels (see docs/host-collector.md for coverage and differences).
 */
export { createHostCollector, type HostCollector, type HostCollectorOptions } from "#server/modules/collection/host/host-collector.ts";
export type { HostMetadata, HostMetricType, HostSample, HostSnapshot } from "#server/modules/collection/host/host.types.ts";
export { renderExposition } from "#server/modules/collection/host/exposition.rules.ts";
export { DEFAULT_DISK_DEVICE_EXCLUDE } from "#server/modules/collection/host/diskstats.rules.ts";
export { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from "#server/modules/collection/host/mountinfo.rules.ts";
