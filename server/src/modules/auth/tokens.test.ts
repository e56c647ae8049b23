import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSigner } from "fast-jwt";
import { createAccessTokens } from "#server/modules/auth/tokens.ts";

const SECRET = "s".repeat(48);

function clockAt(iso: string) {
  let now = Date.parse(iso);
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

describe("access tokens", () => {
  it("round-trips user and session, and expires after the TTL by the injected clock", () => {
    const clock = clockAt("2026-01-01T00:00:00Z");
    const tokens = createAccessTokens(SECRET, 900, clock);
    const token = tokens.sign({ userId: "u1", sessionId: "s1" });
    assert.deepEqual(tokens.verify(token), { ok: true, claims: { userId: "u1", sessionId: "s1" } });
    clock.advance(899);
    assert.equal(tokens.verify(token).ok, true);
    clock.advance(1);
    assert.deepEqual(tokens.verify(token), { ok: false, reason: "expired_token" });
  });

  it("rejects a token signed with another secret, for another audience or without a session", () => {
    const clock = clockAt("2026-01-01T00:00:00Z");
    const tokens = createAccessTokens(SECRET, 900, clock);
    const exp = Math.floor(clock.now().getTime() / 1000) + 900;
    const other = createAccessTokens("o".repeat(48), 900, clock).sign({ userId: "u1", sessionId: "s1" });
    assert.deepEqual(tokens.verify(other), { ok: false, reason: "invalid_token" });
    const sign = createSigner({ key: SECRET, algorithm: "HS256" });
    assert.deepEqual(tokens.verify(sign({ sub: "u1", sid: "s1", iss: "auspex", aud: "elsewhere", exp })), { ok: false, reason: "invalid_token" });
    assert.deepEqual(tokens.verify(sign({ sub: "u1", iss: "auspex", aud: "auspex-api", exp })), { ok: false, reason: "invalid_token" });
    assert.deepEqual(tokens.verify("garbage"), { ok: false, reason: "invalid_token" });
  });
});
