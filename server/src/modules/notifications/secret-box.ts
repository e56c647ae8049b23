import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Channel secrets at rest: AES-256-GCM with a random 96-bit nonce per value and the owning
 * user and channel as associated data, so a box copied to another row does not open.
 * Stored as "v1:" + base64(nonce | tag | ciphertext).
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

export function createSecretBox(keyMaterial: string): SecretBox {
  // Any string of enough entropy (the generated file holds 32 random bytes in base64url) → a 256-bit key.
  const key = createHash("sha256").update(keyMaterial, "utf8").digest();
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return `v1:${Buffer.concat([nonce, cipher.getAuthTag(), body]).toString("base64")}`;
    },
    open(sealed, context) {
      if (!sealed.startsWith("v1:")) throw new Error("unknown secret format");
      const raw = Buffer.from(sealed.slice(3), "base64");
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    },
  };
}

/**
 * The configured key (AUSPEX_SECRETS_KEY), or one generated on first start and kept in
 * <data dir>/secrets/notifications-key (mode 0600), as the JWT secret is.
 */
export function loadOrCreateSecretsKey(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = path.join(dataDir, "secrets", "notifications-key");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString("base64url");
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, secret, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return secret;
}
