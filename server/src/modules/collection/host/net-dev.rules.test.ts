import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { addNetDevFamilies, parseNetDev } from "#server/modules/collection/host/net-dev.rules.ts";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "fixtures", name), "utf8");

describe("parseNetDev", () => {
  it("reads every interface of a real /proc/net/dev, lo included", () => {
    const devices = parseNetDev(fixture("net-dev.real.txt"));
    assert.deepEqual(devices.map((d) => d.device), ["lo", "ifb0", "ifb1", "eth0"]);
    assert.deepEqual([...devices[0]!.stats.keys()], [
      "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo", "receive_frame", "receive_compressed", "receive_multicast",
      "transmit_bytes", "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls", "transmit_carrier", "transmit_compressed",
    ]);
  });

  it("handles counters glued to the colon and unusual interface names", () => {
    const devices = parseNetDev(fixture("net-dev.edge.txt"));
    assert.deepEqual(devices.map((d) => d.device), ["lo", "eth0", "br-0a1b2c3d", "wg0.5"]);
    const eth0 = devices[1]!.stats;
    assert.equal(eth0.get("receive_bytes"), 98765432109876);
    assert.equal(eth0.get("receive_multicast"), 6);
    assert.equal(eth0.get("transmit_bytes"), 55555);
    assert.equal(eth0.get("transmit_colls"), 10);
    assert.equal(eth0.get("transmit_compressed"), 12);
  });
});

describe("addNetDevFamilies", () => {
  it("emits node_network_<statistic>_total counters per device", () => {
    const builder = createSnapshotBuilder();
    addNetDevFamilies(builder, parseNetDev(fixture("net-dev.edge.txt")));
    const { samples, metadata } = builder.build();
    assert.equal(metadata.length, 16);
    assert.deepEqual(metadata[0], { metric_family_name: "node_network_receive_bytes_total", type: "counter", help: "Network device statistic receive_bytes.", unit: "" });
    assert.deepEqual(samples.slice(0, 2), [
      { labels: { __name__: "node_network_receive_bytes_total", device: "lo" }, value: 100 },
      { labels: { __name__: "node_network_receive_bytes_total", device: "eth0" }, value: 98765432109876 },
    ]);
  });

  it("leaves out excluded devices", () => {
    const builder = createSnapshotBuilder();
    addNetDevFamilies(builder, parseNetDev(fixture("net-dev.edge.txt")), /^lo$/);
    assert.ok(builder.build().samples.every((s) => s.labels.device !== "lo"));
  });
});
