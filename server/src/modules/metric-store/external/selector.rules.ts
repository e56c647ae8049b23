import type { Matcher } from "#server/modules/metric-store/metric-store.port.ts";

const LEGACY_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A PromQL string literal: double-quoted, with backslash, quote and control characters escaped. */
export function quotePromQLString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
}

/**
 * `{a="1",b=~"x.*",auspex_user="u"}`: the user's matchers plus the owner matcher. Matchers are
 * ANDed, so whatever the user's matchers say, only the owner's series can match.
 */
export function selectorWithOwner(matchers: readonly Matcher[], ownerLabel: string, ownerId: string): string {
  const parts = matchers.map((m) => {
    if (!LEGACY_LABEL_NAME.test(m.name)) throw new Error(`label name ${JSON.stringify(m.name)} cannot be sent to the external server`);
    return `${m.name}${m.type}${quotePromQLString(m.value)}`;
  });
  parts.push(`${ownerLabel}=${quotePromQLString(ownerId)}`);
  return `{${parts.join(",")}}`;
}
