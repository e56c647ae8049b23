import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { addMeminfoFamilies, parseMeminfo } from "#server/modules/collection/host/meminfo.rules.ts";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", name), "utf8");

describe("parseMeminfo", () => {
  it("names every field of a real /proc/meminfo like node_exporter, kB in bytes", () => {
    const fields = new Map(parseMeminfo(fixture("meminfo.real.txt")).map((f) => [f.name, f.value]));
    assert.equal(fields.size, fixture("meminfo.real.txt").trim().split("\n").length);
    assert.equal(fields.get("MemTotal_bytes"), 24684092 * 1024);
    assert.equal(fields.get("SwapTotal_bytes"), 0);
    assert.ok(fields.has("SwapFree_bytes"));
    assert.ok(fields.has("Active_anon_bytes"));
    assert.ok(fields.has("Inactive_file_bytes"));
    assert.equal(fields.get("HugePages_Total"), 0);
    assert.ok(fields.has("Hugepagesize_bytes"));
  });

  it("renames parentheses, keeps unitless counts, skips blank lines", () => {
    assert.deepEqual(parseMeminfo(fixture("meminfo.edge.txt")), [
      { name: "MemTotal_bytes", value: 16384 * 1024 },
      { name: "Active_anon_bytes", value: 2048 * 1024 },
      { name: "Inactive_file_bytes", value: 1024 * 1024 },
      { name: "HugePages_Total", value: 4 },
      { name: "HugePages_Free", value: 2 },
      { name: "Hugepagesize_bytes", value: 2048 * 1024 },
    ]);
  });

  it("rejects a value that is not a number", () => {
    assert.throws(() => parseMeminfo("MemTotal: lots kB\n"), /invalid line in meminfo/);
  });
});

describe("addMeminfoFamilies", () => {
  it("emits node_memory_<field> gauges with node_exporter's HELP", () => {
    const builder = createSnapshotBuilder();
    addMeminfoFamilies(builder, parseMeminfo(fixture("meminfo.edge.txt")));
    const { samples, metadata } = builder.build();
    assert.deepEqual(samples[1], { labels: { __name__: "node_memory_Active_anon_bytes" }, value: 2048 * 1024 });
    assert.deepEqual(metadata[3], { metric_family_name: "node_memory_HugePages_Total", type: "gauge", help: "Memory information field HugePages_Total.", unit: "" });
    assert.equal(metadata[0]?.help, "Memory information field MemTotal_bytes.");
  });
});
