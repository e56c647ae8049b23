import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { createHostCollector, renderExposition, type HostSnapshot } from "#server/modules/collection/host/index.ts";

const fixtures = path.join(import.meta.dirname, "fixtures");

/** A fake root: procfs files from the fixtures, and a mount table with this root and a mount point that does not exist. */
function fakeRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "auspex-host-"));
  mkdirSync(path.join(root, "proc", "net"), { recursive: true });
  mkdirSync(path.join(root, "proc", "self"));
  mkdirSync(path.join(root, "proc", "sys", "kernel"), { recursive: true });
  for (const [from, to] of [
    ["stat.offline-cpu.txt", "stat"],
    ["meminfo.edge.txt", "meminfo"],
    ["loadavg.real.txt", "loadavg"],
    ["diskstats.edge.txt", "diskstats"],
    ["vmstat.real.txt", "vmstat"],
    ["net-dev.edge.txt", "net/dev"],
  ] as const) {
    cpSync(path.join(fixtures, from), path.join(root, "proc", to));
  }
  writeFileSync(
    path.join(root, "proc", "self", "mountinfo"),
    "27 1 254:0 / / rw,relatime - ext4 /dev/fake rw\n40 27 0:40 / /gone rw - nfs4 nas:/gone rw\n41 27 0:41 / /proc rw - proc proc rw\n",
  );
  writeFileSync(path.join(root, "proc", "sys", "kernel", "domainname"), "corp.example\n");
  return root;
}

const value = (snapshot: HostSnapshot, name: string, labels: Record<string, string> = {}) =>
  snapshot.samples.find((s) => s.labels.__name__ === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe("createHostCollector", () => {
  let root = "";
  beforeEach(() => (root = fakeRoot()));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("collects every family from the procfs under root", async () => {
    const collector = createHostCollector({ root, now: () => new Date(1_700_000_123_500) });
    const snapshot = await collector.collect();
    assert.equal(value(snapshot, "node_cpu_seconds_total", { cpu: "2", mode: "idle" }), 120);
    assert.equal(value(snapshot, "node_context_switches_total"), 678);
    assert.equal(value(snapshot, "node_memory_MemTotal_bytes"), 16384 * 1024);
    assert.equal(value(snapshot, "node_memory_HugePages_Total"), 4);
    assert.ok(value(snapshot, "node_load1") !== undefined);
    assert.equal(value(snapshot, "node_disk_reads_completed_total", { device: "sda" }), 100);
    assert.equal(value(snapshot, "node_network_receive_bytes_total", { device: "eth0" }), 98765432109876);
    assert.ok((value(snapshot, "node_vmstat_pgmajfault") ?? -1) >= 0);
    assert.equal(value(snapshot, "node_time_seconds"), 1_700_000_123.5);
    assert.equal(value(snapshot, "node_uname_info", { domainname: "corp.example", sysname: os.type(), nodename: os.hostname() }), 1);

    const rootFs = { device: "/dev/fake", fstype: "ext4", mountpoint: "/" };
    assert.ok((value(snapshot, "node_filesystem_size_bytes", rootFs) ?? 0) > 0, "statfs of <root>/");
    assert.equal(value(snapshot, "node_filesystem_device_error", rootFs), 0);
    assert.equal(value(snapshot, "node_filesystem_device_error", { mountpoint: "/gone" }), 1);
    assert.equal(value(snapshot, "node_filesystem_size_bytes", { mountpoint: "/gone" }), undefined);
    assert.equal(value(snapshot, "node_filesystem_readonly", { mountpoint: "/proc" }), undefined, "excluded mount point");

    const collectors = snapshot.samples.filter((s) => s.labels.__name__ === "node_scrape_collector_success");
    assert.deepEqual(collectors.map((s) => [s.labels.collector, s.value]), [
      ["cpu", 1], ["stat", 1], ["meminfo", 1], ["loadavg", 1], ["filesystem", 1], ["diskstats", 1], ["netdev", 1], ["vmstat", 1], ["time", 1], ["uname", 1],
    ]);
    const names = new Set(snapshot.samples.map((s) => s.labels.__name__));
    assert.deepEqual(new Set(snapshot.metadata.map((m) => m.metric_family_name)), names, "one metadata entry per family");
    assert.equal(snapshot.metadata.length, names.size);
  });

  it("reports a collector whose file is missing as failed and still returns the others", async () => {
    rmSync(path.join(root, "proc", "diskstats"));
    writeFileSync(path.join(root, "proc", "loadavg"), "garbage\n");
    const snapshot = await createHostCollector({ root }).collect();
    assert.equal(value(snapshot, "node_scrape_collector_success", { collector: "diskstats" }), 0);
    assert.equal(value(snapshot, "node_scrape_collector_success", { collector: "loadavg" }), 0);
    assert.equal(value(snapshot, "node_scrape_collector_success", { collector: "meminfo" }), 1);
    assert.ok(!snapshot.samples.some((s) => s.labels.__name__?.startsWith("node_disk_") || s.labels.__name__ === "node_load1"));
    assert.ok(!snapshot.metadata.some((m) => m.metric_family_name === "node_load1"));
  });

  it("keeps CPU counters from stepping back between collections", async () => {
    const collector = createHostCollector({ root });
    await collector.collect();
    writeFileSync(path.join(root, "proc", "stat"), "cpu0 999 5 150 20000 25 0 3 0 0 0\n");
    const snapshot = await collector.collect();
    assert.equal(value(snapshot, "node_cpu_seconds_total", { cpu: "0", mode: "user" }), 10, "user went 1000 → 999 ticks: keeps 10 s");
    assert.equal(value(snapshot, "node_cpu_seconds_total", { cpu: "2", mode: "user" }), undefined, "CPU 2 went offline");
  });

  it("renders a snapshot as text exposition", async () => {
    const text = renderExposition(await createHostCollector({ root }).collect());
    assert.match(text, /^# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode\.\n# TYPE node_cpu_seconds_total counter\n/);
    assert.match(text, /\nnode_network_receive_bytes_total\{device="eth0"\} 98765432109876\n/);
  });
});
