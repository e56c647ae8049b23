import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CONTEXT_HISTORY,
  CONTEXT_WINDOW,
  contextQuantise,
  contextUpdate,
  createContext,
  MIN_DISTANCE,
  readContext,
  writeContext,
} from "#server/modules/detection/core/context.rules.ts";
import { StateReader, StateWriter } from "#server/modules/detection/core/state-codec.rules.ts";
import { seededRandom } from "#test/support/random.ts";

/** A repeating 24-step shape with a little noise, quantised around 0 with spread 1. */
function patterned(i: number, rnd: () => number): number {
  return contextQuantise(Math.sin((2 * Math.PI * i) / 24) * 2 + (rnd() - 0.5) * 0.2, 0, 1);
}

describe("context member (nearest-neighbour distance of the recent window)", () => {
  it("quantises into 0..255 around the centre and clips", () => {
    assert.equal(contextQuantise(0, 0, 1), 128);
    assert.equal(contextQuantise(1e9, 0, 1), 255);
    assert.equal(contextQuantise(-1e9, 0, 1), 0);
    assert.equal(contextQuantise(5, 0, Number.NaN), 127);
  });

  it("stays low on a repeating pattern and rises on a new shape of ordinary values", () => {
    const rnd = seededRandom(3);
    const c = createContext();
    let maxNormal = 0;
    for (let i = 0; i < 2000; i++) {
      const r = contextUpdate(c, patterned(i, rnd));
      if (i > 600) maxNormal = Math.max(maxNormal, r);
    }
    // Same value range, but the cycle runs backwards and flattens: no earlier window looks like it.
    let maxNew = 0;
    for (let i = 0; i < 24; i++) {
      const x = i < 12 ? contextQuantise(2 - (i / 12) * 4, 0, 1) : contextQuantise(-2, 0, 1);
      maxNew = Math.max(maxNew, contextUpdate(c, x));
    }
    assert.ok(maxNormal < 3, `normal ${maxNormal}`);
    assert.ok(maxNew > 2 * maxNormal, `new ${maxNew} vs normal ${maxNormal}`);
  });

  it("continues bit-identically after write/read at any point", () => {
    const rnd = seededRandom(5);
    const values = Array.from({ length: 1500 }, (_, i) => patterned(i, rnd));
    for (const cut of [3, 30, CONTEXT_HISTORY + 1, 1001]) {
      const a = createContext();
      for (let i = 0; i < cut; i++) contextUpdate(a, values[i]!);
      const w = new StateWriter(1024);
      writeContext(a, w);
      const b = readContext(new StateReader(w.finish()));
      for (let i = cut; i < values.length; i++) assert.ok(Object.is(contextUpdate(a, values[i]!), contextUpdate(b, values[i]!)), `cut ${cut} at ${i}`);
    }
  });

  it("finds the nearest earlier window exactly: the bounds and the warm start only skip work", () => {
    const rnd = seededRandom(11);
    const c = createContext();
    const W = CONTEXT_WINDOW;
    let searches = 0;
    for (let i = 0; i < 3000; i++) {
      // A noisy cycle whose shape drifts, with occasional bursts: many near misses for the bounds.
      const x = Math.sin((2 * Math.PI * i) / (20 + (i >> 9))) + (rnd() - 0.5) * 0.8 + (i % 97 < 3 ? 3 : 0);
      const typical = c.typical;
      const ratio = contextUpdate(c, contextQuantise(x, 0, 1));
      if (c.steps !== 0 || Number.isNaN(typical) || c.count < 3 * W) continue;
      const cur = c.count - W;
      let best = Number.POSITIVE_INFINITY;
      for (let p = 0; p <= c.count - 3 * W; p++) {
        let d = 0;
        for (let k = 0; k < W; k++) d += Math.abs(c.hist[p + k]! - c.hist[cur + k]!);
        best = Math.min(best, d);
      }
      assert.equal(ratio, best / W / Math.max(typical, MIN_DISTANCE), `search at ${i}`);
      searches++;
    }
    assert.ok(searches > 300, `${searches} searches checked`);
  });
});
