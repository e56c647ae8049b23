import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STALE_NAN, isStaleNaN, writeFloat64LE } from "#server/platform/staleness.ts";

describe("staleness markers", () => {
  it("recognises the marker, also after an engine quiets it, and no other NaN", () => {
    assert.equal(isStaleNaN(STALE_NAN), true);
    const quieted = new Float64Array([STALE_NAN])[0] ?? 0;
    assert.equal(isStaleNaN(quieted), true);
    assert.equal(isStaleNaN(Number.NaN), false);
    assert.equal(isStaleNaN(0), false);
    assert.equal(isStaleNaN(Number.POSITIVE_INFINITY), false);
  });

  it("writes the canonical bits 0x7ff0000000000002", () => {
    const view = new DataView(new ArrayBuffer(8));
    writeFloat64LE(view, 0, new Float64Array([STALE_NAN])[0] ?? 0);
    assert.equal(view.getBigUint64(0, true), 0x7ff0000000000002n);
    writeFloat64LE(view, 0, 1.5);
    assert.equal(view.getFloat64(0, true), 1.5);
  });
});
