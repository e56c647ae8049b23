import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHostDetector } from "#server/modules/detection/multivariate/host-detector.rules.ts";
import { seededRandom } from "#test/support/random.ts";
import { syntheticHost } from "#test/support/synthetic-host.ts";

describe("per-host multivariate detector", () => {
  it("learns a host's usual indicator mix, flags swapping, and names the indicators behind it", () => {
    const detector = createHostDetector();
    const next = syntheticHost(seededRandom(5));
    const T0 = Date.parse("2026-06-01T00:00:00Z");
    let t = T0;
    const ordinary: number[] = [];
    for (let i = 0; i < 600; i++) {
      t += 15_000;
      const scored = detector.score(t, next(false));
      if (i < 121) assert.equal(scored, undefined, "nothing is scored while the first window fills");
      else if (scored) ordinary.push(scored.score);
    }
    const falseAlarms = ordinary.filter((s) => s > 1).length / ordinary.length;
    assert.ok(falseAlarms < 0.02, `${(falseAlarms * 100).toFixed(1)}% of ordinary scrapes above 1`);

    t += 15_000;
    const swapping = detector.score(t, next(true));
    assert.ok(swapping && swapping.score > 1.5, `swapping scores ${swapping?.score}`);
    const top = swapping.contributors.slice(0, 4).map((c) => c.indicator);
    assert.ok(
      top.some((name) => ["cpu_iowait", "major_faults_per_second", "swap_used_ratio", "memory_available_ratio", "disk_busy_ratio"].includes(name)),
      `top contributors ${top.join(", ")}`,
    );
  });

  it("ignores scrapes with missing or broken values instead of learning them", () => {
    const detector = createHostDetector();
    assert.equal(detector.score(0, []), undefined);
    assert.equal(detector.score(15_000, [{ labels: { __name__: "node_load1" }, value: Number.NaN }]), undefined);
  });
});
