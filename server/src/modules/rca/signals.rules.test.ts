import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { observeSeries } from "#server/modules/rca/signals.rules.ts";

const MIN = 60_000;
const series = (values: number[]) => values.map((v, i) => ({ t: i * MIN, v }));
const up = { direction: "up" as const, minDelta: () => 0.05, saturated: (p: number) => p > 0.15 };

describe("signal observation", () => {
  it("finds the onset where a series leaves its baseline and stays out", () => {
    const values = [...Array.from({ length: 60 }, (_, i) => 0.01 + (i % 3) * 0.002), ...Array.from({ length: 20 }, (_, i) => 0.02 + i * 0.01)];
    const o = observeSeries(series(values), up, { baselineEnd: 50 * MIN, to: 80 * MIN });
    assert.ok(o);
    assert.equal(o.onset, 65 * MIN, "the first sample more than 0.05 above the baseline that holds");
    assert.equal(o.peak, values.at(-1));
    assert.equal(o.saturated, true);
    assert.ok(o.deviation > 1);
  });

  it("ignores a single-sample blip and harmless direction", () => {
    const values = Array.from({ length: 80 }, () => 0.01);
    values[60] = 0.5;
    for (let i = 70; i < 80; i++) values[i] = 0;
    const o = observeSeries(series(values), up, { baselineEnd: 50 * MIN, to: 80 * MIN });
    assert.equal(o?.onset, null);
    assert.equal(o?.saturated, false);
  });

  it("sees a fall for a down signal, and needs a change beyond the noise", () => {
    const noisy = Array.from({ length: 80 }, (_, i) => 0.6 + (i % 2 === 0 ? 0.08 : -0.08));
    const down = { direction: "down" as const, minDelta: () => 0.05, saturated: (p: number) => p < 0.1 };
    assert.equal(observeSeries(series(noisy), down, { baselineEnd: 50 * MIN, to: 80 * MIN })?.onset, null, "within the spread");
    const falling = [...noisy.slice(0, 60), ...Array.from({ length: 20 }, () => 0.05)];
    const o = observeSeries(series(falling), down, { baselineEnd: 50 * MIN, to: 80 * MIN });
    assert.equal(o?.onset, 60 * MIN);
    assert.equal(o?.saturated, true);
  });
});
