import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { averagePathLength, scoreForest, trainForest } from "#server/modules/detection/multivariate/isolation-forest.rules.ts";
import { seededRandom } from "#test/support/random.ts";

/** Host-like vectors: [cpu iowait, load, available memory GB, major faults/s], correlated and noisy. */
function ordinaryHost(rand: () => number): Float64Array {
  const busy = rand();
  return Float64Array.from([0.02 + 0.03 * rand(), 1 + 2 * busy + 0.2 * rand(), 6 - 2 * busy + 0.3 * rand(), 5 * rand()]);
}

describe("isolation forest", () => {
  const rand = seededRandom(3);
  const training = Array.from({ length: 512 }, () => ordinaryHost(rand));
  const forest = trainForest(training, 4);

  it("scores an unusual combination far above ordinary points", () => {
    const ordinary = Array.from({ length: 200 }, () => scoreForest(forest, ordinaryHost(rand)).score);
    const typical = ordinary.sort((a, b) => a - b)[Math.floor(ordinary.length * 0.99)]!;
    // Heavy iowait with many major faults: swapping.
    const swapping = scoreForest(forest, Float64Array.from([0.6, 2, 5, 400]));
    const median = ordinary[Math.floor(ordinary.length / 2)]!;
    assert.ok(swapping.score > typical + 0.05, `swapping ${swapping.score} vs 99th percentile of ordinary ${typical}`);
    assert.ok(swapping.score > median + 0.15, `swapping ${swapping.score} vs median ordinary ${median}`);
  });

  it("attributes an anomaly to the features that make it unusual", () => {
    const { attribution } = scoreForest(forest, Float64Array.from([0.03, 2, 5.5, 900]));
    const top = attribution.indexOf(Math.max(...attribution));
    assert.equal(top, 3, `major faults should lead: ${Array.from(attribution).map((a) => a.toFixed(2)).join(", ")}`);
    assert.ok(Math.abs(attribution.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  it("is deterministic for a seed, and c(n) follows the paper", () => {
    const again = trainForest(training, 4);
    const point = Float64Array.from([0.2, 3, 2, 50]);
    assert.equal(scoreForest(again, point).score, scoreForest(forest, point).score);
    assert.equal(averagePathLength(1), 0);
    assert.equal(averagePathLength(2), 1);
    assert.ok(Math.abs(averagePathLength(256) - 10.2448) < 1e-3);
  });

  it("copes with constant features and tiny training sets", () => {
    const flat = Array.from({ length: 10 }, () => Float64Array.from([1, 1]));
    const small = trainForest(flat, 2);
    const { score, attribution } = scoreForest(small, Float64Array.from([1, 1]));
    assert.ok(Number.isFinite(score));
    assert.deepEqual(Array.from(attribution), [0, 0]);
  });
});
