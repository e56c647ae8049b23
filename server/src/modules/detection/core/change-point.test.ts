import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { changePointUpdate, createChangePoint } from "#server/modules/detection/core/change-point.rules.ts";
import { seededRandom } from "#test/support/random.ts";

function gauss(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
}

describe("change point (two-sided CUSUM)", () => {
  it("stays below 1 on standard noise and finds a 2.5 σ shift within 15 samples", () => {
    const rnd = seededRandom(8);
    const c = createChangePoint();
    let max = 0;
    for (let i = 0; i < 5000; i++) max = Math.max(max, Math.abs(changePointUpdate(c, gauss(rnd) * 0.8)));
    assert.ok(max < 1, `max on noise ${max}`);
    let found = -1;
    for (let i = 0; i < 50 && found < 0; i++) if (changePointUpdate(c, 2.5 + gauss(rnd) * 0.8) >= 1) found = i;
    assert.ok(found >= 0 && found < 15, `found after ${found}`);
  });

  it("does not fire on one spike and reports the direction", () => {
    const c = createChangePoint();
    assert.ok(changePointUpdate(c, 1000) < 1);
    for (let i = 0; i < 20; i++) changePointUpdate(c, 0);
    let last = 0;
    for (let i = 0; i < 12; i++) last = changePointUpdate(c, -3);
    assert.ok(last <= -1);
  });
});
