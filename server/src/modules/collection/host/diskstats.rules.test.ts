import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { addDiskstatsFamilies, parseDiskstats } from "#server/modules/collection/host/diskstats.rules.ts";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", name), "utf8");

function families(text: string) {
  const builder = createSnapshotBuilder();
  addDiskstatsFamilies(builder, parseDiskstats(text));
  return builder.build();
}

describe("diskstats", () => {
  it("excludes loop and zram devices of a real /proc/diskstats and converts sectors and milliseconds", () => {
    const { samples, metadata } = families(fixture("diskstats.real.txt"));
    assert.deepEqual([...new Set(samples.map((s) => s.labels.device))], ["vda"]);
    assert.equal(metadata.length, 17);
    const vda = fixture("diskstats.real.txt").split("\n").find((l) => l.includes(" vda "))!.trim().split(/\s+/).map(Number);
    const value = (name: string) => samples.find((s) => s.labels.__name__ === name)?.value;
    assert.equal(value("node_disk_reads_completed_total"), vda[3]);
    assert.equal(value("node_disk_read_bytes_total"), vda[5]! * 512);
    assert.equal(value("node_disk_read_time_seconds_total"), vda[6]! * 0.001);
    assert.equal(value("node_disk_written_bytes_total"), vda[9]! * 512);
    assert.equal(value("node_disk_io_now"), vda[11]);
    assert.equal(value("node_disk_io_time_weighted_seconds_total"), vda[13]! * 0.001);
    assert.equal(value("node_disk_flush_requests_time_seconds_total"), vda[19]! * 0.001);
  });

  it("applies node_exporter's default device exclusion to partitions and RAM disks", () => {
    const devices = new Set(families(fixture("diskstats.edge.txt")).samples.map((s) => s.labels.device));
    assert.deepEqual([...devices].sort(), ["dm-0", "md0", "mmcblk0", "mmcblk0p1", "nvme0n1", "sda"]);
  });

  it("emits only the columns a kernel provides (11 on old kernels, 15 before flush counters)", () => {
    const { samples } = families(fixture("diskstats.edge.txt"));
    const names = (device: string) => samples.filter((s) => s.labels.device === device).map((s) => s.labels.__name__);
    assert.equal(names("sda").length, 11);
    assert.ok(!names("sda").includes("node_disk_discards_completed_total"));
    assert.equal(names("nvme0n1").length, 15);
    assert.equal(names("dm-0").length, 17);
  });

  it("uses node_exporter's types and HELP texts", () => {
    const { metadata } = families(fixture("diskstats.edge.txt"));
    const byName = new Map(metadata.map((m) => [m.metric_family_name, m]));
    assert.equal(byName.get("node_disk_io_now")?.type, "gauge");
    assert.equal(byName.get("node_disk_io_time_seconds_total")?.help, "Total seconds spent doing I/Os.");
    assert.equal(byName.get("node_disk_flush_requests_total")?.help, "The total number of flush requests completed successfully");
    assert.equal(metadata.filter((m) => m.type === "counter").length, 16);
  });
});
