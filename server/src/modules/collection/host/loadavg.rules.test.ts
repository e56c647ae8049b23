import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { addLoadavgFamilies, parseLoadavg } from "#server/modules/collection/host/loadavg.rules.ts";
import { createSnapshotBuilder } from "#server/modules/collection/host/snapshot-builder.rules.ts";

describe("loadavg", () => {
  it("reads the three averages of a real /proc/loadavg", () => {
    const text = readFileSync(path.join(import.meta.dirname, "fixtures", "loadavg.real.txt"), "utf8");
    const [one, five, fifteen] = text.split(" ").map(Number);
    assert.deepEqual(parseLoadavg(text), { load1: one, load5: five, load15: fifteen });
  });

  it("rejects content that is not a load average", () => {
    assert.throws(() => parseLoadavg("0.5 0.4\n"), /unexpected \/proc\/loadavg/);
    assert.throws(() => parseLoadavg("a b c 1/2 3\n"), /unexpected \/proc\/loadavg/);
  });

  it("emits node_load1/5/15 gauges", () => {
    const builder = createSnapshotBuilder();
    addLoadavgFamilies(builder, parseLoadavg("0.25 0.50 1.75 2/90 100\n"));
    const { samples, metadata } = builder.build();
    assert.deepEqual(samples.map((s) => [s.labels.__name__, s.value]), [["node_load1", 0.25], ["node_load5", 0.5], ["node_load15", 1.75]]);
    assert.deepEqual(metadata.map((m) => [m.type, m.help]), [["gauge", "1m load average."], ["gauge", "5m load average."], ["gauge", "15m load average."]]);
  });
});
