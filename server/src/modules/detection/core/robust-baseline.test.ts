import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BASELINE_WINDOW,
  baselineMad,
  baselineMedian,
  baselinePush,
  createBaseline,
  readBaseline,
  writeBaseline,
} from "#server/modules/detection/core/robust-baseline.rules.ts";
import { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";
import { seededRandom } from "#test/support/random.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >>> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

describe("robust baseline (rolling median / MAD)", () => {
  it("matches a brute-force median and MAD over the sliding window", () => {
    const rnd = seededRandom(1);
    const b = createBaseline();
    const all: number[] = [];
    for (let i = 0; i < 500; i++) {
      // Ties and repeated values on purpose (quantised data).
      const x = i % 7 === 0 ? 5 : Math.round(rnd() * 20) / 2;
      baselinePush(b, x);
      all.push(x);
      const win = all.slice(-BASELINE_WINDOW);
      const m = median(win);
      assert.equal(baselineMedian(b), m, `median at ${i}`);
      assert.equal(baselineMad(b, m), median(win.map((v) => Math.abs(v - m))), `MAD at ${i}`);
    }
  });

  it("is not moved by a single outlier", () => {
    const b = createBaseline();
    for (let i = 0; i < BASELINE_WINDOW; i++) baselinePush(b, 10 + (i % 3));
    const before = baselineMedian(b);
    baselinePush(b, 1e9);
    assert.equal(baselineMedian(b), before);
  });

  it("round-trips through the state codec", () => {
    const rnd = seededRandom(2);
    const b = createBaseline();
    for (let i = 0; i < 70; i++) baselinePush(b, rnd());
    const w = new StateWriter(2048);
    writeBaseline(b, w);
    const c = readBaseline(new StateReader(w.finish()));
    assert.deepEqual(c.sorted, b.sorted);
    assert.deepEqual(c.ring, b.ring);
    assert.equal(c.head, b.head);
  });

  it("returns NaN when empty", () => {
    const b = createBaseline();
    assert.ok(Number.isNaN(baselineMedian(b)));
    assert.ok(Number.isNaN(baselineMad(b, 0)));
  });
});
