import { createHash, randomBytes } from "node:crypto";
import { createSigner, createVerifier } from "fast-jwt";
import type { Clock } from "#server/platform/clock.ts";

export const REFRESH_TOKEN_PREFIX = "aur_";
export const API_KEY_PREFIX = "auk_";

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

export type AccessTokenCheck = { ok: true; claims: AccessClaims } | { ok: false; reason: "expired_token" | "invalid_token" };

const ISSUER = "auspex";
const AUDIENCE = "auspex-api";

/**
 * Short-lived HS256 JWTs naming the user (sub) and the login session (sid). fast-jwt signs and
 * verifies synchronously with node:crypto (jose's WebCrypto path cost ~120 µs a verification,
 * half an authenticated request). Time claims come from the injected Clock, so expiry is
 * checked here rather than by the library.
 */
export function createAccessTokens(secret: string, ttlSeconds: number, clock: Clock) {
  const signer = createSigner({ key: secret, algorithm: "HS256", noTimestamp: true });
  const verifier = createVerifier({
    key: secret,
    algorithms: ["HS256"],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    ignoreExpiration: true,
    ignoreNotBefore: true,
  });

  return {
    ttlSeconds,
    sign(claims: AccessClaims): string {
      const now = Math.floor(clock.now().getTime() / 1000);
      return signer({ sub: claims.userId, sid: claims.sessionId, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + ttlSeconds });
    },
    verify(token: string): AccessTokenCheck {
      let payload: unknown;
      try {
        payload = verifier(token);
      } catch {
        return { ok: false, reason: "invalid_token" };
      }
      if (typeof payload !== "object" || payload === null) return { ok: false, reason: "invalid_token" };
      const { sub, sid, exp } = payload as Record<string, unknown>;
      if (typeof sub !== "string" || typeof sid !== "string" || typeof exp !== "number") return { ok: false, reason: "invalid_token" };
      if (clock.now().getTime() / 1000 >= exp) return { ok: false, reason: "expired_token" };
      return { ok: true, claims: { userId: sub, sessionId: sid } };
    },
  };
}

export type AccessTokens = ReturnType<typeof createAccessTokens>;

/** An opaque secret: prefix + 256 random bits, base64url. */
export function generateOpaqueToken(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** Opaque tokens carry 256 bits of entropy, so a fast hash is enough to store them safely. */
export function hashOpaqueToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
