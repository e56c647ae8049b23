import { createHash, createSecretKey, randomBytes } from "node:crypto";
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import type { Clock } from "#server/platform/clock.ts";

export const REFRESH_TOKEN_PREFIX = "aur_";
export const API_KEY_PREFIX = "auk_";

export interface AccessClaims {
  userId: string;
  sessionId: string;
}

export type AccessTokenCheck = { ok: true; claims: AccessClaims } | { ok: false; reason: "expired_token" | "invalid_token" };

/** Short-lived HS256 JWTs naming the user (sub) and the login session (sid). */
export function createAccessTokens(secret: string, ttlSeconds: number, clock: Clock) {
  // A KeyObject made once: jose would otherwise import raw key bytes on every sign and verify.
  const key = createSecretKey(Buffer.from(secret, "utf8"));
  const ISSUER = "auspex";
  const AUDIENCE = "auspex-api";

  return {
    ttlSeconds,
    async sign(claims: AccessClaims): Promise<string> {
      const now = Math.floor(clock.now().getTime() / 1000);
      return new SignJWT({ sid: claims.sessionId })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(claims.userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(key);
    },
    async verify(token: string): Promise<AccessTokenCheck> {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ["HS256"],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: clock.now(),
          clockTolerance: 0,
        });
        if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return { ok: false, reason: "invalid_token" };
        return { ok: true, claims: { userId: payload.sub, sessionId: payload.sid } };
      } catch (error) {
        return { ok: false, reason: error instanceof joseErrors.JWTExpired ? "expired_token" : "invalid_token" };
      }
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
