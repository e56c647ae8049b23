import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";
import { addCpuFamilies, addStatFamilies, parseStat } from "#server/modules/collection/host/stat.rules.ts";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", name), "utf8");

describe("parseStat", () => {
  it("reads per-CPU ticks as seconds (USER_HZ 100) and the system counters from a real /proc/stat", () => {
    const stat = parseStat(fixture("stat.real.txt"));
    assert.deepEqual(stat.cpus.map((c) => c.cpu), [0, 1]);
    assert.deepEqual(stat.cpus[0], {
      cpu: 0, user: 3321.83, nice: 0.08, system: 445.13, idle: 5383.22, iowait: 6.35,
      irq: 0, softirq: 12.24, steal: 2.56, guest: 0, guestNice: 0,
    });
    assert.equal(stat.interrupts, 8106370);
    assert.equal(stat.contextSwitches, 24627997);
    assert.equal(stat.bootTime, 1795374078);
    assert.equal(stat.forks, 80073);
    assert.equal(stat.procsRunning, 2);
    assert.equal(stat.procsBlocked, 0);
  });

  it("keeps the real ids of online CPUs when one is offline, and zero-fills fields an old kernel lacks", () => {
    const stat = parseStat(fixture("stat.offline-cpu.txt"));
    assert.deepEqual(stat.cpus.map((c) => c.cpu), [0, 2, 3]);
    assert.equal(stat.cpus[1]?.guest, 0);
    assert.equal(stat.cpus[2]?.softirq, 0.02);
    assert.equal(stat.cpus[2]?.steal, 0);
  });
});

describe("cpu and stat families", () => {
  it("emits the eight modes and the two guest modes per CPU with node_exporter's names and HELP", () => {
    const builder = createSnapshotBuilder();
    addCpuFamilies(builder, parseStat(fixture("stat.offline-cpu.txt")).cpus);
    const { samples, metadata } = builder.build();
    assert.deepEqual(metadata, [
      { metric_family_name: "node_cpu_seconds_total", type: "counter", help: "Seconds the CPUs spent in each mode.", unit: "" },
      { metric_family_name: "node_cpu_guest_seconds_total", type: "counter", help: "Seconds the CPUs spent in guests (VMs) for each mode.", unit: "" },
    ]);
    const seconds = samples.filter((s) => s.labels.__name__ === "node_cpu_seconds_total");
    assert.equal(seconds.length, 3 * 8);
    assert.deepEqual(
      seconds.filter((s) => s.labels.cpu === "2").map((s) => [s.labels.mode, s.value]),
      [["user", 6], ["nice", 0.03], ["system", 1], ["idle", 120], ["iowait", 0.2], ["irq", 0], ["softirq", 0.02], ["steal", 0]],
    );
    const guest = samples.filter((s) => s.labels.__name__ === "node_cpu_guest_seconds_total");
    assert.deepEqual(guest.slice(0, 2).map((s) => s.labels), [
      { __name__: "node_cpu_guest_seconds_total", cpu: "0", mode: "user" },
      { __name__: "node_cpu_guest_seconds_total", cpu: "0", mode: "nice" },
    ]);
  });

  it("emits the stat collector's counters and gauges", () => {
    const builder = createSnapshotBuilder();
    addStatFamilies(builder, parseStat(fixture("stat.offline-cpu.txt")));
    const { samples, metadata } = builder.build();
    assert.deepEqual(
      samples.map((s) => [s.labels.__name__, s.value]),
      [
        ["node_intr_total", 12345],
        ["node_context_switches_total", 678],
        ["node_forks_total", 42],
        ["node_boot_time_seconds", 1700000000],
        ["node_procs_running", 3],
        ["node_procs_blocked", 1],
      ],
    );
    assert.deepEqual(metadata.map((m) => m.type), ["counter", "counter", "counter", "gauge", "gauge", "gauge"]);
    assert.equal(metadata[1]?.help, "Total number of context switches.");
  });
});
