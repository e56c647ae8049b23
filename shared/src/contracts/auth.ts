import { z } from "zod";

export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN_LENGTH = 10;
/** Bounds the cost of hashing: Argon2 over a megabyte of "password" is a denial of service. */
export const PASSWORD_MAX_LENGTH = 256;

export const Username = z
  .string()
  .regex(USERNAME_PATTERN, "must be 3–32 characters of a-z, 0-9, '_', '.' or '-'");
export const Email = z
  .email({ error: (issue) => (issue.input === undefined ? "is required" : "must be a valid email address") })
  .max(254, "must be at most 254 characters");
export const Password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);

/*
 * ICU lists some zones only under their former names (Asia/Calcutta for Asia/Kolkata, …), so
 * the current IANA names are added here to restore a user's casing of them.
 */
const CURRENT_IANA_NAMES = [
  "UTC", "Etc/UTC", "Asia/Kolkata", "Europe/Kyiv", "Asia/Yangon", "Asia/Ho_Chi_Minh", "Asia/Kathmandu",
  "America/Nuuk", "Pacific/Kanton", "Atlantic/Faroe", "America/Ciudad_Juarez",
];
let zonesByLowerCase: Map<string, string> | undefined;
function knownZone(name: string): string | undefined {
  zonesByLowerCase ??= new Map([...Intl.supportedValuesOf("timeZone"), ...CURRENT_IANA_NAMES].map((zone) => [zone.toLowerCase(), zone]));
  return zonesByLowerCase.get(name.toLowerCase());
}

/** An IANA time zone name such as "Asia/Kolkata", kept in its IANA spelling (not ICU's older alias). */
export const TimeZone = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: value });
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an IANA time zone such as Asia/Kolkata" });
      return z.NEVER;
    }
    const known = knownZone(value);
    if (known !== undefined) return known;
    if (/^[A-Z]/.test(value)) return value;
    ctx.addIssue({ code: "custom", message: "must be spelled as in the IANA database, e.g. Asia/Kolkata" });
    return z.NEVER;
  });

export const Timestamp = z.string().describe("ISO-8601 UTC timestamp");

export const User = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    display_name: z.string().nullable(),
    time_zone: z.string(),
    created_at: Timestamp,
  })
  .meta({ id: "User" });
export type User = z.infer<typeof User>;

export const RegisterRequest = z
  .strictObject({
    username: Username,
    email: Email,
    password: Password,
    display_name: z.string().trim().min(1).max(100).optional(),
    time_zone: TimeZone.optional(),
  })
  .meta({
    examples: [{ username: "ada", email: "ada@example.com", password: "correct horse battery" }],
  });
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const LoginRequest = z
  .strictObject({
    username: z.string().min(1).max(254).describe("The username or the email address"),
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  })
  .meta({ examples: [{ username: "ada", password: "correct horse battery" }] });
export type LoginRequest = z.infer<typeof LoginRequest>;

export const RefreshRequest = z.strictObject({
  refresh_token: z.string().min(1).max(512),
});

export const TokenResponse = z
  .object({
    user: User,
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().describe("Seconds until the access token expires"),
    session_id: z.string(),
  })
  .meta({ id: "TokenResponse" });
export type TokenResponse = z.infer<typeof TokenResponse>;

export const UpdateMeRequest = z
  .strictObject({
    email: Email.optional(),
    display_name: z.string().trim().min(1).max(100).nullable().optional(),
    time_zone: TimeZone.optional(),
  })
  .meta({ examples: [{ display_name: "Ada Lovelace", time_zone: "Asia/Kolkata" }] });
export type UpdateMeRequest = z.infer<typeof UpdateMeRequest>;

export const ChangePasswordRequest = z.strictObject({
  current_password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
  new_password: Password,
});
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

export const Session = z
  .object({
    id: z.string(),
    device_type: z.string().describe("desktop | mobile | tablet | bot | unknown"),
    browser: z.string().nullable(),
    browser_version: z.string().nullable(),
    os: z.string().nullable(),
    ip: z.string().nullable(),
    created_at: Timestamp,
    last_active_at: Timestamp,
    expires_at: Timestamp,
    current: z.boolean(),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof Session>;

export const SessionList = z.object({ sessions: z.array(Session) });

export const RevokedCount = z.object({ revoked: z.number().int() });

export const API_KEY_SCOPES = ["ingest", "read", "admin"] as const;
export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(ApiKeyScope),
    prefix: z.string().describe("The first characters of the key, to recognise it"),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable(),
  })
  .meta({ id: "ApiKey" });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreateApiKeyRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z
      .array(ApiKeyScope)
      .min(1, "must name at least one scope")
      .refine((scopes) => new Set(scopes).size === scopes.length, "must not repeat a scope"),
    expires_in_days: z.number().int().min(1).max(3650).optional(),
  })
  .meta({ examples: [{ name: "prometheus remote_write", scopes: ["ingest"] }] });
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

export const CreatedApiKey = ApiKey.extend({
  key: z.string().describe("The secret; shown only in this response"),
}).meta({ id: "CreatedApiKey" });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const ApiKeyList = z.object({ api_keys: z.array(ApiKey) });
