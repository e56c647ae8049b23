import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ownLabels, ownString } from "#server/platform/own-string.ts";

describe("owned strings", () => {
  it("keep every character of short, long and non-ASCII strings", () => {
    const body = `prefix node_cpu_seconds_total{mode="iowait",device="sdä🚀"} 1`;
    for (const slice of [body.slice(7, 29), body.slice(0, 3), body.slice(45, 54), ""]) assert.equal(ownString(slice), slice);
    assert.deepEqual(ownLabels({ __name__: body.slice(7, 29), device: body.slice(52, 57) }), { __name__: "node_cpu_seconds_total", device: "sdä🚀" });
  });
});
