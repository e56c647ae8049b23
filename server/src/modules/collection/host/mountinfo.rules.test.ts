import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parseMountinfo, selectMounts } from "#server/modules/collection/host/mountinfo.rules.ts";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", name), "utf8");

describe("parseMountinfo", () => {
  it("reads a real /proc/self/mountinfo", () => {
    const mounts = parseMountinfo(fixture("mountinfo.real.txt"));
    assert.equal(mounts.length, fixture("mountinfo.real.txt").trim().split("\n").length);
    assert.deepEqual(mounts.find((m) => m.mountpoint === "/"), { device: "/dev/vda", mountpoint: "/", fstype: "ext4", readonly: false });
  });

  it("decodes octal escapes in mount points and devices, and skips optional fields", () => {
    const mounts = parseMountinfo(fixture("mountinfo.edge.txt"));
    const at = (mountpoint: string) => mounts.find((m) => m.mountpoint === mountpoint);
    assert.deepEqual(at("/mnt/my disk"), { device: "/dev/sdb1", mountpoint: "/mnt/my disk", fstype: "ext4", readonly: false });
    assert.equal(at("/mnt/share")?.device, "//nas/team files");
    assert.equal(at("/srv/tab\tname")?.fstype, "xfs");
    assert.ok(at("/mnt/back\\slash"));
  });

  it("is read-only when the mount or its superblock is", () => {
    const mounts = parseMountinfo(fixture("mountinfo.edge.txt"));
    assert.equal(mounts.find((m) => m.mountpoint === "/srv/tab\tname")?.readonly, true);
    assert.equal(mounts.find((m) => m.mountpoint === "/backup")?.readonly, true);
    assert.equal(mounts.find((m) => m.mountpoint === "/mnt/share")?.readonly, false);
  });
});

describe("selectMounts", () => {
  it("applies node_exporter's default type and mount point exclusions and drops duplicates", () => {
    const selected = selectMounts(parseMountinfo(fixture("mountinfo.edge.txt")));
    assert.deepEqual(selected.map((m) => m.mountpoint), [
      "/", "/mnt/my disk", "/mnt/share", "/srv/tab\tname", "/backup", "/run", "/var/lib/docker", "/data", "/mnt/back\\slash",
    ]);
    assert.equal(selected.find((m) => m.mountpoint === "/data")?.readonly, true, "the later, visible mount wins");
  });

  it("keeps only / and the tmpfs outside /dev and /sys on this machine's real table", () => {
    assert.deepEqual(selectMounts(parseMountinfo(fixture("mountinfo.real.txt"))).map((m) => m.mountpoint), [
      "/", "/mnt/sandboxing/model_tools_env/v1/python",
    ]);
  });

  it("takes other exclusions", () => {
    const selected = selectMounts(parseMountinfo(fixture("mountinfo.edge.txt")), { fsTypesExclude: /^ext4$/, mountPointsExclude: /^\/run/ });
    assert.deepEqual(selected.map((m) => m.fstype).sort(), ["cgroup2", "cifs", "overlay", "proc", "squashfs", "xfs"]);
  });
});
