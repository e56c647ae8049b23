import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";
import { addTimeFamilies, addUnameFamilies, parseDomainname } from "#server/modules/collection/host/uname.rules.ts";

describe("uname and time", () => {
  it("reports an unset or unreadable NIS domain as the kernel's (none)", () => {
    assert.equal(parseDomainname("(none)\n"), "(none)");
    assert.equal(parseDomainname("\n"), "(none)");
    assert.equal(parseDomainname(undefined), "(none)");
    assert.equal(parseDomainname("corp.example\n"), "corp.example");
  });

  it("emits node_uname_info as a gauge of 1 labelled with the uname fields", () => {
    const builder = createSnapshotBuilder();
    const uname = { sysname: "Linux", release: "6.1.0", version: "#1 SMP", machine: "x86_64", nodename: "web-1", domainname: "(none)" };
    addUnameFamilies(builder, uname);
    const { samples, metadata } = builder.build();
    assert.deepEqual(samples, [{ labels: { __name__: "node_uname_info", ...uname }, value: 1 }]);
    assert.deepEqual(metadata[0], {
      metric_family_name: "node_uname_info", type: "gauge", help: "Labeled system information as provided by the uname system call.", unit: "",
    });
  });

  it("emits node_time_seconds with sub-second precision", () => {
    const builder = createSnapshotBuilder();
    addTimeFamilies(builder, new Date(1_700_000_000_250));
    assert.deepEqual(builder.build().samples, [{ labels: { __name__: "node_time_seconds" }, value: 1_700_000_000.25 }]);
  });
});
