/** Alert label sets: fingerprints as Alertmanager computes them, and matchers as it parses them. */

export type LabelSet = Readonly<Record<string, string>>;

const OFFSET64 = 0xcbf29ce484222325n;
const PRIME64 = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

/**
 * prometheus/common's LabelSet.Fingerprint: FNV-1a 64 over the sorted names and values, each
 * followed by the 0xff separator, as 16 hex digits. Alertmanager's webhook carries it, so
 * receivers that dedupe on it see the same value from Auspex.
 */
export function fingerprintOf(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  let h = OFFSET64;
  const add = (bytes: Uint8Array) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * PRIME64) & MASK64;
  };
  for (const name of names) {
    add(encoder.encode(name));
    add(Uint8Array.of(SEPARATOR));
    add(encoder.encode(labels[name]));
    add(Uint8Array.of(SEPARATOR));
  }
  return h.toString(16).padStart(16, "0");
}

export type MatchType = "=" | "!=" | "=~" | "!~";

export interface Matcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]*))\s*$/;

/** One matcher in Alertmanager's syntax: `severity="critical"`, `instance=~"web-.*"`, `env!=prod`. */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER.exec(text);
  if (!m) throw new Error(`"${text}" is not a matcher (name, one of = != =~ !~, then a value)`);
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)) : (m[4] ?? "");
  const matcher: Matcher = { name: m[1]!, type: m[2] as MatchType, value };
  if (matcher.type === "=~" || matcher.type === "!~") {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (error) {
      throw new Error(`"${text}": invalid regular expression (${(error as Error).message})`, { cause: error });
    }
  }
  return matcher;
}

const regexCache = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, "s");
    if (regexCache.size > 10_000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Whether one matcher holds; a missing label is the empty string, as in Alertmanager. */
export function matcherHolds(m: Matcher, labels: LabelSet): boolean {
  const value = labels[m.name] ?? "";
  switch (m.type) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return anchored(m.value).test(value);
    case "!~":
      return !anchored(m.value).test(value);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: LabelSet): boolean {
  return matchers.every((m) => matcherHolds(m, labels));
}

export function formatMatcher(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
