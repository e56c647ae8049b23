import type { ApiKeyScope } from "@auspex/shared/contracts/auth.ts";

/**
 * Who is acting. Every service verb that touches a user's data takes one, and
 * every repository query is scoped by its userId.
 */
export type Actor =
  | { kind: "session"; userId: string; sessionId: string }
  | { kind: "api_key"; userId: string; apiKeyId: string; scopes: readonly ApiKeyScope[] };

/** A logged-in person holds every scope over their own data; an API key holds what it was given. */
export function hasScope(actor: Actor, scope: ApiKeyScope): boolean {
  if (actor.kind === "session") return true;
  return actor.scopes.includes("admin") || actor.scopes.includes(scope);
}
