import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { anomalyScoreOf, contextOnsetScore, directional, ONSET_SCALE, onsetScore, toUnitInterval, voteSum } from "#server/modules/detection/core/ensemble.rules.ts";

describe("ensemble", () => {
  it("filters votes by direction", () => {
    assert.equal(directional(2, 1, "up"), 2);
    assert.equal(directional(2, -1, "up"), 0);
    assert.equal(directional(2, -1, "down"), 2);
    assert.equal(directional(2, -1, "both"), 2);
  });

  it("sums votes and maps scores to [0, 1] with 1 → 0.5", () => {
    assert.equal(voteSum(0.5, 0.25, 0.25), 3 * 0.5 + 0.25 + 2 * 0.25);
    assert.equal(toUnitInterval(1), 0.5);
    assert.equal(toUnitInterval(0), 0);
    assert.equal(toUnitInterval(Number.NaN), 0);
    assert.ok(toUnitInterval(1e9) <= 1);
  });

  it("reports an onset once, not while the deviation persists or recurs at the same size", () => {
    let memory = 0;
    const out: number[] = [];
    // Vote sums 0.1 → unit 0.09, 4 → 0.8, 9 → 0.9.
    for (const votes of [0.1, 0.1, 4, 4, 4, 0.1, 4, 9]) {
      const [a, m] = onsetScore(votes, memory);
      memory = m;
      out.push(a);
    }
    assert.ok(out[2]! > 0.6, `onset ${out[2]}`);
    assert.ok(out[3]! < 1e-3 && out[4]! < 1e-3 && out[6]! < 1e-3);
    assert.ok(out[7]! > 0.09, `larger ${out[7]}`);
  });

  it("reports a context onset at half weight, once per new maximum of the ratio", () => {
    let memory = 0;
    const out: number[] = [];
    // Ratios 1 → unit 1/3, 6 → 0.75, 3 → 0.6.
    for (const ratio of [1, 1, 6, 6, 3, 0]) {
      const [a, m] = contextOnsetScore(ratio, memory);
      memory = m;
      out.push(a);
    }
    assert.ok(Math.abs(out[0]! - 0.5 / 3) < 1e-12, `first ${out[0]}`);
    assert.ok(Math.abs(out[2]! - 0.5 * (0.75 - 1 / 3)) < 1e-12, `onset ${out[2]}`);
    assert.deepEqual(out.slice(3), [0, 0, 0]);
    assert.equal(memory, 0.75);
  });

  it("anomalyScore is the larger of novelty and the scaled onset, in [0, 1]", () => {
    assert.equal(anomalyScoreOf(0, 0), 0);
    assert.equal(anomalyScoreOf(1 / ONSET_SCALE, 0), 0.5);
    assert.equal(anomalyScoreOf(1 / ONSET_SCALE, 0.75), 0.75, "novelty above the onset wins");
    assert.equal(anomalyScoreOf(3 / ONSET_SCALE, 0.6), 0.75, "the onset above novelty wins");
    assert.ok(anomalyScoreOf(1, 0) < 1);
  });
});
