import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createSeasonal,
  DAY_MS,
  readSeasonal,
  seasonalPredict,
  seasonalUpdate,
  writeSeasonal,
} from "#server/modules/detection/core/seasonality.rules.ts";
import { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";
import { seededRandom } from "#test/support/random.ts";

const STEP = 5 * 60_000;
const daily = (t: number): number => 50 + 40 * Math.sin((2 * Math.PI * t) / DAY_MS);

describe("seasonality (daily / weekly profiles)", () => {
  it("detects a daily pattern after two days and predicts it", () => {
    const rnd = seededRandom(3);
    const s = createSeasonal();
    let t = 0;
    // The plain expectation lags the cycle by two hours, as a rolling median would.
    for (; t < DAY_MS * 1.5; t += STEP) seasonalUpdate(s, t, daily(t) + rnd() - 0.5, daily(t - 7_200_000), STEP);
    assert.equal(seasonalPredict(s, t).kind, 0, "not used before two days of history");
    for (; t < DAY_MS * 4; t += STEP) seasonalUpdate(s, t, daily(t) + rnd() - 0.5, daily(t - 7_200_000), STEP);
    const p = seasonalPredict(s, t + 6 * 3_600_000);
    assert.equal(p.kind, 1);
    assert.ok(Math.abs(p.expected - daily(t + 6 * 3_600_000)) < 6, `expected ≈ profile, got ${p.expected}`);
  });

  it("stays off for white noise", () => {
    const rnd = seededRandom(4);
    const s = createSeasonal();
    for (let t = 0; t < DAY_MS * 5; t += STEP) seasonalUpdate(s, t, 10 + rnd(), 10.5, STEP);
    assert.equal(seasonalPredict(s, DAY_MS * 5).kind, 0);
  });

  it("prefers the weekly profile when weekends differ", () => {
    const rnd = seededRandom(5);
    const s = createSeasonal();
    const weekly = (t: number): number => daily(t) * (Math.floor(t / DAY_MS) % 7 >= 5 ? 0.3 : 1);
    let t = 0;
    for (; t < DAY_MS * 21; t += STEP) seasonalUpdate(s, t, weekly(t) + rnd(), weekly(t - 7_200_000), STEP);
    const sat = DAY_MS * 26 + 6 * 3_600_000; // a Saturday in the model's week (day 5 of 7)
    assert.equal(seasonalPredict(s, sat).kind, 2);
  });

  it("round-trips through the state codec", () => {
    const s = createSeasonal();
    for (let t = 0; t < DAY_MS * 3; t += STEP) seasonalUpdate(s, t, daily(t), 50, STEP);
    const w = new StateWriter(4096);
    writeSeasonal(s, w);
    assert.deepEqual(readSeasonal(new StateReader(w.finish())), s);
  });

  it("gives a finite deviation for a bin seen only once (e.g. first reached after a gap)", () => {
    const rnd = seededRandom(4);
    const s = createSeasonal();
    const skipped = (t: number): boolean => t % DAY_MS >= 5 * 3_600_000 && t % DAY_MS < 5.5 * 3_600_000;
    let t = 0;
    for (; t < DAY_MS * 4; t += STEP) if (!skipped(t)) seasonalUpdate(s, t, daily(t) + rnd() - 0.5, daily(t - 7_200_000), STEP);
    const at = DAY_MS * 4 + 5.25 * 3_600_000;
    seasonalUpdate(s, at, daily(at), daily(at - 7_200_000), STEP);
    const p = seasonalPredict(s, at + DAY_MS);
    assert.equal(p.kind, 1);
    assert.ok(Number.isFinite(p.dev) && p.dev > 0, `dev ${p.dev}`);
  });
});

