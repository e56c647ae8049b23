/*
 * Account tables. Timestamps are ISO-8601 UTC strings in TypeScript on both
 * dialects (TEXT on SQLite, timestamptz on PostgreSQL with a parser that returns
 * ISO strings), so repositories behave the same everywhere.
 */

export interface UsersTable {
  id: string;
  username: string;
  /** Lower-cased, so that logins and uniqueness ignore case. */
  email: string;
  password_hash: string;
  display_name: string | null;
  time_zone: string;
  created_at: string;
  updated_at: string;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  created_at: string;
  last_active_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  device_type: string;
  browser: string | null;
  browser_version: string | null;
  os: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface RefreshTokensTable {
  id: string;
  session_id: string;
  user_id: string;
  /** SHA-256 of the opaque token; the token itself is never stored. */
  token_hash: string;
  created_at: string;
  expires_at: string;
  /** Set when rotated; presenting a used token again is treated as theft. */
  used_at: string | null;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  /** JSON array of scopes. */
  scopes: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}
