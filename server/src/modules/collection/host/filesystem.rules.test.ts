import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addFilesystemFamilies } from "#server/modules/collection/host/filesystem.rules.ts";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

const root = { device: "/dev/vda1", mountpoint: "/", fstype: "ext4", readonly: false };
const nfs = { device: "nas:/export", mountpoint: "/mnt/nas", fstype: "nfs4", readonly: true };
const stats = { bsize: 4096, blocks: 1000, bfree: 600, bavail: 550, files: 64, ffree: 40 };

describe("addFilesystemFamilies", () => {
  it("converts statfs blocks to bytes and labels by device, fstype and mountpoint", () => {
    const builder = createSnapshotBuilder();
    addFilesystemFamilies(builder, [{ mount: root, stats }]);
    const { samples, metadata } = builder.build();
    const labels = { device: "/dev/vda1", fstype: "ext4", mountpoint: "/" };
    assert.deepEqual(samples, [
      { labels: { __name__: "node_filesystem_size_bytes", ...labels }, value: 4096000 },
      { labels: { __name__: "node_filesystem_free_bytes", ...labels }, value: 2457600 },
      { labels: { __name__: "node_filesystem_avail_bytes", ...labels }, value: 2252800 },
      { labels: { __name__: "node_filesystem_files", ...labels }, value: 64 },
      { labels: { __name__: "node_filesystem_files_free", ...labels }, value: 40 },
      { labels: { __name__: "node_filesystem_readonly", ...labels }, value: 0 },
      { labels: { __name__: "node_filesystem_device_error", ...labels }, value: 0 },
    ]);
    assert.deepEqual(metadata.map((m) => m.help), [
      "Filesystem size in bytes.",
      "Filesystem free space in bytes.",
      "Filesystem space available to non-root users in bytes.",
      "Filesystem total file nodes.",
      "Filesystem total free file nodes.",
      "Filesystem read-only status.",
      "Whether an error occurred while getting statistics for the given device.",
    ]);
    assert.ok(metadata.every((m) => m.type === "gauge"));
  });

  it("reports only readonly and device_error for a mount statfs could not read", () => {
    const builder = createSnapshotBuilder();
    addFilesystemFamilies(builder, [{ mount: nfs, stats: undefined }]);
    assert.deepEqual(builder.build().samples.map((s) => [s.labels.__name__, s.value]), [
      ["node_filesystem_readonly", 1],
      ["node_filesystem_device_error", 1],
    ]);
  });
});
