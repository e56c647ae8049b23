import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRateLimiter } from "#server/platform/rate-limiter.ts";

function clockAt(start: number) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe("createRateLimiter", () => {
  it("allows `limit` hits per window and refuses the next, per key", () => {
    const clock = clockAt(0);
    const limiter = createRateLimiter({ limit: 5, windowMs: 60_000, clock });
    for (let i = 1; i <= 5; i++) assert.equal(limiter.consume("a").allowed, true, `hit ${i}`);
    const sixth = limiter.consume("a");
    assert.equal(sixth.allowed, false);
    assert.equal(sixth.remaining, 0);
    assert.equal(sixth.resetSeconds, 60);
    assert.equal(limiter.consume("b").allowed, true);
  });

  it("refills when the window ends and reports the seconds left", () => {
    const clock = clockAt(0);
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, clock });
    limiter.consume("a");
    clock.advance(45_500);
    assert.deepEqual(limiter.consume("a"), { allowed: false, limit: 1, remaining: 0, resetSeconds: 15 });
    clock.advance(14_500);
    assert.equal(limiter.consume("a").allowed, true);
  });

  it("spends a cost larger than one, e.g. samples per second", () => {
    const clock = clockAt(0);
    const limiter = createRateLimiter({ limit: 1000, windowMs: 1000, clock });
    assert.equal(limiter.consume("u", 600).allowed, true);
    assert.deepEqual(limiter.consume("u", 600), { allowed: false, limit: 1000, remaining: 0, resetSeconds: 1 });
  });

  it("stays bounded in memory under many distinct keys", () => {
    const clock = clockAt(0);
    const limiter = createRateLimiter({ limit: 1, windowMs: 60_000, clock, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) limiter.consume(`key-${i}`);
    // The newest key is still tracked, so its second hit is refused.
    assert.equal(limiter.consume("key-999").allowed, false);
  });
});
