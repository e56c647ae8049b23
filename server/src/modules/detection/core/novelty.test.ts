import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createNovelty,
  NOVELTY_HIGH,
  NOVELTY_REST,
  noveltyRest,
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

function encode(n: NoveltyState): Uint8Array {
  const w = new StateWriter(1024);
  writeNovelty(n, w);
  return w.finish();
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

  it("rests NOVELTY_REST samples after an event another member reported, as after its own", () => {
    const rnd = seededRandom(9);
    const stuckAfter = (rest: boolean, wait: number): number => {
      const n = createNovelty();
      feed(n, 0, 1000, (i) => ramp(i, rnd));
      if (rest) noveltyRest(n);
      feed(n, 1000, wait, (i) => ramp(i, rnd));
      return feed(n, 1000 + wait, 5, () => 5);
    };
    assert.ok(stuckAfter(false, 10) >= NOVELTY_HIGH, "without the rest the pause is new");
    assert.equal(stuckAfter(true, 10), 0, "inside the rest");
    assert.equal(stuckAfter(true, NOVELTY_REST - 5), 0, "the rest's last samples");
    assert.ok(stuckAfter(true, NOVELTY_REST) >= NOVELTY_HIGH, "after the rest");
  });

  it("relearns its memory from the recent symbols when the range grows, instead of forgetting", () => {
    const rnd = seededRandom(8);
    const n = createNovelty();
    const plateau = () => 10 + (rnd() - 0.5) * 0.1;
    feed(n, 0, 1000, (i) => ramp(i, rnd));
    // A pause at the top of the ramp, seen once, shortly before a new extreme widens the range.
    feed(n, 0, 8, plateau);
    feed(n, 0, 60, (i) => ramp(i, rnd));
    // Just past the top of the range: it grows about threefold, so the ramp's levels keep distinct symbols.
    const top = n.hi;
    noveltyUpdate(n, top + 1);
    assert.ok(n.hi > top);
    // Long after the extreme, the ramp is familiar and its one pause is no event (a forgetting
    // memory reports it ≥ NOVELTY_HIGH). Relearning moves old symbols by their centres, so a value
    // near a boundary may still look slightly new.
    assert.equal(feed(n, 0, 2 * NOVELTY_REST, (i) => ramp(i, rnd)), 0);
    assert.ok(feed(n, 0, 8, plateau) < NOVELTY_HIGH);
    // A level inside the grown range that the series never held is still new.
    assert.ok(feed(n, 0, 8, () => 20) >= NOVELTY_HIGH);
  });

  it("is deterministic and survives write/read bit-identically", () => {
    const rnd = seededRandom(7);
    const values = Array.from({ length: 3000 }, (_, i) => ramp(i, rnd) + (i > 2000 && i < 2010 ? 3 : 0));
    const whole = createNovelty();
    const expected = values.map((v) => noveltyUpdate(whole, v));
    let n = createNovelty();
    const got: number[] = [];
    values.forEach((v, i) => {
      // 1950: restored shortly before the range grows at 2000, so the relearning reads a restored trail.
      if (i % 777 === 0 || i === 1950 || i === 59) {
        const bytes = encode(n);
        n = readNovelty(new StateReader(bytes));
        // Everything read is written back unchanged (59: a trail of odd length).
        assert.deepEqual(encode(n), bytes);
      }
      got.push(noveltyUpdate(n, v));
    });
    assert.deepEqual(got, expected);
    assert.ok(expected.some((x) => x > 0), "the jump at 2000 is reported");
  });
});
