import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelayMs, isRetryable, parseRetryAfterMs, reasonForStatus, retryDelayMs } from "#server/modules/ai/retry.rules.ts";

const policy = { baseDelayMs: 500, maxDelayMs: 20_000 };

describe("retry rules", () => {
  it("grows the backoff exponentially with equal jitter, capped", () => {
    assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelayMs(n, policy, 0)), [250, 500, 1000, 2000]);
    assert.deepEqual([0, 1, 2, 3].map((n) => backoffDelayMs(n, policy, 0.999_999)), [500, 1000, 2000, 4000]);
    assert.equal(backoffDelayMs(10, policy, 0.5), 15_000);
  });

  it("waits at least Retry-After, and gives up on the provider when it asks for too long", () => {
    assert.equal(retryDelayMs(0, 3000, policy, 0), 3000);
    assert.equal(retryDelayMs(3, 100, policy, 0), 2000);
    assert.equal(retryDelayMs(0, 60_000, policy, 0), undefined);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfterMs("2", now), 2000);
    assert.equal(parseRetryAfterMs("Thu, 01 Jan 2026 00:00:05 GMT", now), 5000);
    assert.equal(parseRetryAfterMs("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);
    assert.equal(parseRetryAfterMs("soon", now), undefined);
    assert.equal(parseRetryAfterMs(null, now), undefined);
  });

  it("retries only transient failures", () => {
    assert.deepEqual([429, 500, 503, 408, 400, 401, 404, 422].map((s) => [s, isRetryable(reasonForStatus(s))]), [
      [429, true],
      [500, true],
      [503, true],
      [408, true],
      [400, false],
      [401, false],
      [404, false],
      [422, false],
    ]);
  });
});
