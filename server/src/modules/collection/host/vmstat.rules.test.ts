import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";
import { addVmstatFamilies, parseVmstat } from "#server/modules/collection/host/vmstat.rules.ts";

describe("vmstat", () => {
  it("keeps node_exporter's default fields of a real /proc/vmstat, untyped", () => {
    const text = readFileSync(path.join(import.meta.dirname, "fixtures", "vmstat.real.txt"), "utf8");
    const builder = createSnapshotBuilder();
    addVmstatFamilies(builder, parseVmstat(text));
    const { samples, metadata } = builder.build();
    const names = samples.map((s) => s.labels.__name__);
    for (const name of ["node_vmstat_pgfault", "node_vmstat_pgmajfault", "node_vmstat_pswpin", "node_vmstat_pswpout", "node_vmstat_oom_kill", "node_vmstat_pgpgin"]) {
      assert.ok(names.includes(name), name);
    }
    assert.ok(!names.includes("node_vmstat_nr_free_pages"));
    const majfault = /^pgmajfault (\d+)$/m.exec(text)?.[1];
    assert.equal(samples.find((s) => s.labels.__name__ === "node_vmstat_pgmajfault")?.value, Number(majfault));
    assert.deepEqual(metadata.find((m) => m.metric_family_name === "node_vmstat_pgfault"), {
      metric_family_name: "node_vmstat_pgfault", type: "unknown", help: "/proc/vmstat information field pgfault.", unit: "",
    });
  });

  it("takes another field selection", () => {
    const builder = createSnapshotBuilder();
    addVmstatFamilies(builder, parseVmstat("nr_free_pages 7\npgfault 9\n\n"), /^nr_/);
    assert.deepEqual(builder.build().samples, [{ labels: { __name__: "node_vmstat_nr_free_pages" }, value: 7 }]);
  });
});
