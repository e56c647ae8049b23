import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { backoffMs, classifyStatus, nextDelayMs, parseRetryAfterMs } from "#server/modules/notifications/retry.rules.ts";
import { createSecretBox, loadOrCreateSecretsKey } from "#server/modules/notifications/secret-box.ts";

describe("channel secrets at rest", () => {
  it("seals with AES-256-GCM bound to the row, and opens only with the same key and row", () => {
    const box = createSecretBox("k".repeat(40));
    const sealed = box.seal('{"webhook_url":"https://hooks.slack.com/services/T/B/X"}', "user-1:channel-1");
    assert.match(sealed, /^v1:[A-Za-z0-9+/=]+$/);
    assert.ok(!sealed.includes("hooks.slack.com"));
    assert.notEqual(box.seal("same", "c"), box.seal("same", "c"), "a fresh nonce per value");
    assert.equal(box.open(sealed, "user-1:channel-1"), '{"webhook_url":"https://hooks.slack.com/services/T/B/X"}');
    assert.throws(() => box.open(sealed, "user-2:channel-1"), "another row's context does not open it");
    assert.throws(() => createSecretBox("x".repeat(40)).open(sealed, "user-1:channel-1"), "another key does not open it");
  });

  it("generates a key once into the data directory (mode 0600) unless one is configured", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "auspex-secrets-"));
    try {
      const key = loadOrCreateSecretsKey(undefined, dir);
      const file = path.join(dir, "secrets", "notifications-key");
      assert.equal(readFileSync(file, "utf8"), key);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(loadOrCreateSecretsKey(undefined, dir), key, "the same key on the next start");
      assert.equal(loadOrCreateSecretsKey("configured-key-configured-key-123", dir), "configured-key-configured-key-123");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("retry rules", () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };
  it("backs off exponentially with equal jitter, capped", () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n, policy, 0)), [500, 1000, 2000, 4000]);
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n, policy, 0.999)), [1000, 1999, 3998, 7996]);
    assert.equal(backoffMs(30, policy, 0.999), 59_970);
  });

  it("waits for Retry-After when it is longer than the backoff", () => {
    assert.equal(nextDelayMs(1, 120_000, policy, 0.5), 120_000);
    assert.equal(nextDelayMs(3, 10, policy, 0), 2000);
    const now = Date.parse("2026-11-22T18:00:00Z");
    assert.equal(parseRetryAfterMs("30", now), 30_000);
    assert.equal(parseRetryAfterMs("Sun, 22 Nov 2026 18:01:00 GMT", now), 60_000);
    assert.equal(parseRetryAfterMs("soon", now), undefined);
    assert.equal(parseRetryAfterMs(undefined, now), undefined);
  });

  it("retries transient statuses and gives up on refusals", () => {
    assert.deepEqual([200, 202, 204, 408, 425, 429, 500, 503, 400, 401, 404, 410].map(classifyStatus), [
      "success", "success", "success", "retry", "retry", "retry", "retry", "retry", "permanent", "permanent", "permanent", "permanent",
    ]);
  });
});
