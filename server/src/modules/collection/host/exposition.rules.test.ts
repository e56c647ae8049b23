import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderExposition } from "#server/modules/collection/host/exposition.rules.ts";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

describe("renderExposition", () => {
  it("writes HELP, TYPE and samples family by family, labels sorted and escaped", () => {
    const builder = createSnapshotBuilder();
    builder.add("node_load1", "gauge", "1m load average.", 0.5);
    builder.add("node_filesystem_readonly", "gauge", "Filesystem read-only status.", 1, { mountpoint: '/mnt/a "b"\\c\nd', device: "/dev/x", fstype: "ext4" });
    builder.add("node_vmstat_pgfault", "unknown", "/proc/vmstat information field pgfault.", 12);
    builder.add("node_load1", "gauge", "ignored: the first HELP of a family wins", 0.75);
    assert.equal(
      renderExposition(builder.build()),
      [
        "# HELP node_load1 1m load average.",
        "# TYPE node_load1 gauge",
        "node_load1 0.5",
        "node_load1 0.75",
        "# HELP node_filesystem_readonly Filesystem read-only status.",
        "# TYPE node_filesystem_readonly gauge",
        'node_filesystem_readonly{device="/dev/x",fstype="ext4",mountpoint="/mnt/a \\"b\\"\\\\c\\nd"} 1',
        "# HELP node_vmstat_pgfault /proc/vmstat information field pgfault.",
        "# TYPE node_vmstat_pgfault untyped",
        "node_vmstat_pgfault 12",
        "",
      ].join("\n"),
    );
  });

  it("escapes HELP and writes special values as Prometheus reads them", () => {
    const builder = createSnapshotBuilder();
    builder.add("x", "gauge", "a\\b\nc", NaN);
    builder.add("x", "gauge", "", Infinity);
    builder.add("x", "gauge", "", -Infinity);
    builder.add("x", "gauge", "", 1e21);
    assert.equal(renderExposition(builder.build()), "# HELP x a\\\\b\\nc\n# TYPE x gauge\nx NaN\nx +Inf\nx -Inf\nx 1e+21\n");
  });

  it("renders an empty snapshot as empty text", () => {
    assert.equal(renderExposition({ samples: [], metadata: [] }), "");
  });
});
