/**
 * Copies of strings that hold no reference to a larger string. Parsers hand out label strings as
 * V8 slices of the whole request or scrape body; anything kept for long (a head series, a
 * detector, a scrape's memory of its series) would keep that body alive with it. Slicing a
 * concatenation makes V8 flatten it into a new string first; V8 copies substrings under 13
 * characters anyway.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1);
}

/** `labels` with every name and value owned (see ownString). */
export function ownLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in labels) out[ownString(name)] = ownString(labels[name]!);
  return out;
}
