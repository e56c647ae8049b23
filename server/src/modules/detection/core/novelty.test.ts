import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createNovelty,
  NOVELTY_HIGH,
  NOVELTY_REST,
  noveltyUpdate,
  readNovelty,
  writeNovelty,
  type NoveltyState,
} from "#server/modules/detection/core/novelty.rules.ts";
import { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";
import { seededRandom } from "#test/support/random.ts";

/** A repeating 12-step ramp between 0 and 10 with a little noise. */
function ramp(i: number, rnd: () => number): number {
  return (i % 12) * (10 / 11) + (rnd() - 0.5) * 0.1;
}

/** Feeds `count` values and returns the highest reported novelty among them. */
function feed(n: NoveltyState, from: number, count: number, value: (i: number) => number): number {
  let max = 0;
  for (let i = from; i < from + count; i++) max = Math.max(max, noveltyUpdate(n, value(i)));
  return max;
}

describe("novelty member (transitions never seen before)", () => {
  it("learns a repeating shape, then reports a transition it never saw, whatever its size", () => {
    const rnd = seededRandom(5);
    const n = createNovelty();
    feed(n, 0, 600, (i) => ramp(i, rnd));
    // Well after every rest period: the learnt shape is familiar.
    assert.equal(feed(n, 600, 600, (i) => ramp(i, rnd)), 0);
    // A stretch stuck mid-range: every value is inside the range, but the ramp never paused.
    const stuck = feed(n, 1200, 5, () => 5);
    assert.ok(stuck >= NOVELTY_HIGH, `novelty ${stuck}`);
  });

  it("scores a value beyond the range 1 and rests NOVELTY_REST samples after a high score", () => {
    const rnd = seededRandom(6);
    const n = createNovelty();
    feed(n, 0, 1000, (i) => ramp(i, rnd));
    assert.equal(noveltyUpdate(n, 1000), 1);
    // The series then does something new every sample, but the member is resting.
    assert.equal(feed(n, 0, NOVELTY_REST, (i) => (i % 2 === 0 ? -500 - i : 2000 + i)), 0);
  });

  it("is deterministic and survives write/read bit-identically", () => {
    const rnd = seededRandom(7);
    const values = Array.from({ length: 3000 }, (_, i) => ramp(i, rnd) + (i > 2000 && i < 2010 ? 30 : 0));
    const whole = createNovelty();
    const expected = values.map((v) => noveltyUpdate(whole, v));
    let n = createNovelty();
    const got: number[] = [];
    values.forEach((v, i) => {
      if (i % 777 === 0) {
        const w = new StateWriter(1024);
        writeNovelty(n, w);
        n = readNovelty(new StateReader(w.finish()));
      }
      got.push(noveltyUpdate(n, v));
    });
    assert.deepEqual(got, expected);
    assert.ok(expected.some((x) => x > 0), "the jump at 2000 is reported");
  });
});
