import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extrapolatedRateAt } from "#server/modules/query/promql/range-functions.rules.ts";
import { seededRandom } from "#test/support/random.ts";

/** Prometheus's extrapolatedRate, written plainly (every division done), as the reference. */
function reference(ts: Float64Array, vs: Float64Array, lo: number, hi: number, rangeStart: number, rangeEnd: number, rangeMs: number, isCounter: boolean, isRate: boolean): number {
  const n = hi - lo;
  const firstT = ts[lo]!;
  const firstV = vs[lo]!;
  const lastT = ts[hi - 1]!;
  let result = vs[hi - 1]! - firstV;
  if (isCounter) {
    let prev = firstV;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (firstT - rangeStart) / 1000;
  let durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageBetween = sampledInterval / (n - 1);
  const threshold = averageBetween * 1.1;
  if (durationToStart >= threshold) durationToStart = averageBetween / 2;
  if (isCounter && result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  if (durationToEnd >= threshold) durationToEnd = averageBetween / 2;
  let factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval;
  if (isRate) factor /= rangeMs / 1000;
  return result * factor;
}

const bits = (v: number): string => {
  const f = new Float64Array([v]);
  return Array.from(new Uint32Array(f.buffer)).join(":");
};

describe("extrapolatedRateAt", () => {
  it("gives Prometheus's results bit for bit (every division done), on regular and irregular windows", () => {
    const rand = seededRandom(11);
    for (let trial = 0; trial < 3000; trial++) {
      const n = 2 + Math.floor(rand() * 30);
      const ts = new Float64Array(n);
      const vs = new Float64Array(n);
      const regular = rand() < 0.6;
      let t = rand() < 0.05 ? -0 : Math.floor(rand() * 1e6);
      let v = rand() < 0.3 ? rand() * 1e9 : rand() * 10;
      for (let i = 0; i < n; i++) {
        ts[i] = t;
        vs[i] = v;
        t += regular ? 15_000 : 1 + Math.floor(rand() * 30_000);
        const r = rand();
        v = r < 0.03 ? rand() * 5 : r < 0.05 ? Number.NaN : r < 0.07 ? v : v + rand() * (rand() < 0.5 ? 10 : 1e-3);
      }
      const lo = Math.floor(rand() * (n - 1));
      const hi = lo + 2 + Math.floor(rand() * (n - lo - 1));
      const rangeMs = [60_000, 300_000, 15_000, 1][Math.floor(rand() * 4)]!;
      const rangeEnd = ts[hi - 1]! + (rand() < 0.3 ? 0 : Math.floor(rand() * 40_000));
      const rangeStart = rangeEnd - rangeMs;
      const isCounter = rand() < 0.7;
      const isRate = isCounter && rand() < 0.7;
      const expected = reference(ts, vs, lo, hi, rangeStart, rangeEnd, rangeMs, isCounter, isRate);
      const got = extrapolatedRateAt(ts, vs, lo, hi, true, rangeStart, rangeEnd, rangeMs / 1000, isCounter, isRate);
      assert.equal(bits(got), bits(expected), `trial ${trial}`);
    }
  });

  it("handles windows that differ only in sample count, range or extrapolation, one after another", () => {
    const windows: Array<[number[], number[], number, number, number]> = [
      [[0, 30_000], [1, 5], -1_000, 40_000, 60_000],
      [[0, 15_000, 30_000], [1, 3, 5], -1_000, 40_000, 60_000],
      [[0, 30_000], [1, 5], -1_000, 50_000, 60_000],
      [[0, 15_000, 30_000], [1, 3, 5], -1_000, 50_000, 60_000],
      [[0, 15_000, 30_000], [1, 3, 5], -1_000, 40_000, 300_000],
      [[0, 30_000], [100, 101], -1_000, 40_000, 60_000],
      [[0, 30_000], [1, 5], -29_000, 40_000, 60_000],
    ];
    for (const [t, v, rangeStart, rangeEnd, rangeMs] of [...windows, ...windows.reverse()]) {
      const ts = Float64Array.from(t);
      const vs = Float64Array.from(v);
      for (const [isCounter, isRate] of [[true, true], [true, false], [false, false]] as const) {
        assert.equal(
          bits(extrapolatedRateAt(ts, vs, 0, ts.length, true, rangeStart, rangeEnd, rangeMs / 1000, isCounter, isRate)),
          bits(reference(ts, vs, 0, ts.length, rangeStart, rangeEnd, rangeMs, isCounter, isRate)),
        );
      }
    }
  });
});
