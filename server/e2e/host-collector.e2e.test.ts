import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  createHostCollector,
  DEFAULT_DISK_DEVICE_EXCLUDE,
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  renderExposition,
} from "#server/modules/collection/host/index.ts";
import { startNodeExporter, type NodeExporter } from "#e2e/support/node-exporter.ts";
import { parseTextExposition, type ParsedFamily } from "#e2e/support/text-exposition.ts";

/*
 * The host collector against a real node_exporter on the same machine: every family we emit
 * must exist there with the same TYPE, HELP and label names, and the label values that
 * identify series (CPUs and modes, devices, mounts) must match. Values move between the two
 * reads, so only stable ones are compared. node_exporter gets our default exclusions as flags,
 * because Debian's build changes upstream's defaults (it also drops /run, /mnt, /media and lo).
 */

const FLAGS = [
  "--collector.disable-defaults",
  ...["cpu", "meminfo", "loadavg", "filesystem", "diskstats", "netdev", "stat", "vmstat", "uname", "time"].map((c) => `--collector.${c}`),
  `--collector.filesystem.fs-types-exclude=${DEFAULT_FS_TYPES_EXCLUDE.source}`,
  `--collector.filesystem.mount-points-exclude=${DEFAULT_MOUNT_POINTS_EXCLUDE.source}`,
  `--collector.diskstats.device-exclude=${DEFAULT_DISK_DEVICE_EXCLUDE.source}`,
  "--collector.netdev.device-exclude=^$",
];

/**
 * Families node_exporter 1.5 emits for these collectors that we leave out (see docs/host-collector.md):
 * the exporter's own metrics, sysfs/udev-based ones, netlink's rx_nohandler, time zone and
 * clock source, and CPU throttling counters (sysfs, real hardware only).
 */
const KNOWN_MISSING = new Set([
  "node_exporter_build_info",
  "node_scrape_collector_duration_seconds",
  "node_disk_info",
  "node_network_receive_nohandler_total",
  "node_time_zone_offset_seconds",
  "node_time_clocksource_available_info",
  "node_time_clocksource_current_info",
  "node_cpu_core_throttles_total",
  "node_cpu_package_throttles_total",
]);
const isExporterRuntime = (name: string) => /^(go|process|promhttp)_/.test(name);

type Samples = ParsedFamily["samples"];

const labelNames = (samples: Samples) => [...new Set(samples.flatMap((s) => Object.keys(s.labels)))].sort();
const seriesKeys = (samples: Samples, names: readonly string[]) =>
  samples.map((s) => names.map((n) => `${n}=${s.labels[n] ?? ""}`).join(",")).sort();
/** Values keyed by the given labels, e.g. per mount point. */
const valuesBy = (samples: Samples, key: (labels: Record<string, string>) => string) => new Map(samples.map((s) => [key(s.labels), s.value]));

describe("host collector vs node_exporter", () => {
  let exporter: NodeExporter;
  let theirs: Map<string, ParsedFamily>;
  let ours: Map<string, ParsedFamily>;

  before(async () => {
    exporter = await startNodeExporter(FLAGS);
    const collector = createHostCollector();
    const [text, snapshot] = await Promise.all([fetch(`${exporter.url}/metrics`).then((r) => r.text()), collector.collect()]);
    theirs = parseTextExposition(text);
    // Through our renderer and the same reader, so the exposition text is compared too.
    ours = parseTextExposition(renderExposition(snapshot));
  });
  after(async () => exporter?.stop());

  it("emits only families node_exporter has, with the same TYPE, HELP and label names", () => {
    for (const [name, family] of ours) {
      const their = theirs.get(name);
      assert.ok(their, `node_exporter ${exporter.version} has no ${name}`);
      assert.equal(family.type, their.type, `TYPE of ${name}`);
      assert.equal(family.help, their.help, `HELP of ${name}`);
      assert.deepEqual(labelNames(family.samples), labelNames(their.samples), `label names of ${name}`);
    }
  });

  it("misses only the families documented as left out", (t) => {
    const missing = [...theirs.keys()].filter((name) => !ours.has(name) && !isExporterRuntime(name)).sort();
    t.diagnostic(`node_exporter ${exporter.version} families not emitted by the host collector: ${missing.join(", ") || "none"}`);
    assert.deepEqual(missing.filter((name) => !KNOWN_MISSING.has(name)), []);
  });

  it("has the same series for CPUs, memory fields, disks, network devices, mounts and collectors", () => {
    const compareSeries = (prefix: RegExp) => {
      const names = [...ours.keys()].filter((name) => prefix.test(name));
      assert.ok(names.length > 0, `we emit ${prefix.source}`);
      for (const name of names) {
        const our = ours.get(name)!.samples;
        const keys = labelNames(our);
        assert.deepEqual(seriesKeys(our, keys), seriesKeys(theirs.get(name)!.samples, keys), `series of ${name}`);
      }
    };
    compareSeries(/^node_cpu_/);
    compareSeries(/^node_disk_/);
    compareSeries(/^node_network_/);
    compareSeries(/^node_filesystem_/);
    compareSeries(/^node_scrape_collector_success$/);
    compareSeries(/^node_uname_info$/);
    const memory = (families: Iterable<string>) => [...families].filter((name) => name.startsWith("node_memory_")).sort();
    assert.deepEqual(memory(ours.keys()), memory(theirs.keys()));
    const vmstat = (families: Iterable<string>) => [...families].filter((name) => name.startsWith("node_vmstat_")).sort();
    assert.deepEqual(vmstat(ours.keys()), vmstat(theirs.keys()));
  });

  it("agrees on values that do not move between the two reads", () => {
    const value = (families: Map<string, ParsedFamily>, name: string) => families.get(name)?.samples[0]?.value;
    for (const name of ["node_memory_MemTotal_bytes", "node_memory_SwapTotal_bytes"]) assert.equal(value(ours, name), value(theirs, name), name);
    assert.ok(Math.abs(value(ours, "node_boot_time_seconds")! - value(theirs, "node_boot_time_seconds")!) <= 1, "boot time within 1 s");
    assert.ok(Math.abs(value(ours, "node_time_seconds")! - value(theirs, "node_time_seconds")!) <= 5, "clock within 5 s");

    for (const name of ["node_filesystem_size_bytes", "node_filesystem_files", "node_filesystem_readonly", "node_filesystem_device_error"]) {
      const byMount = (families: Map<string, ParsedFamily>) => valuesBy(families.get(name)!.samples, (l) => l.mountpoint ?? "");
      assert.deepEqual(byMount(ours), byMount(theirs), name);
    }

    // Counters only grow, and both reads happened at about the same moment.
    const cpu = (families: Map<string, ParsedFamily>) => valuesBy(families.get("node_cpu_seconds_total")!.samples, (l) => `${l.cpu}/${l.mode}`);
    const ourCpu = cpu(ours);
    for (const [key, their] of cpu(theirs)) {
      assert.ok(Math.abs((ourCpu.get(key) ?? -1) - their) <= 5, `node_cpu_seconds_total ${key}: ours ${ourCpu.get(key)}, theirs ${their}`);
    }
  });
});
