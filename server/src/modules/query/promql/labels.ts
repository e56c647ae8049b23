/** Label-set helpers shared by the evaluator and its tests. */
import type { Matcher } from "#server/modules/query/promql/ast.ts";
import type { Labels } from "#server/modules/query/promql/types.ts";

export const METRIC_NAME = "__name__";

const keyCache = new WeakMap<Labels, string>();

/** A stable key for a label set (names sorted); cached per label object (label sets are never mutated). */
export function labelsKey(labels: Labels): string {
  const cached = keyCache.get(labels);
  if (cached !== undefined) return cached;
  const names = Object.keys(labels).sort();
  let out = "";
  for (const n of names) out += n + "\xff" + (labels[n] ?? "") + "\xfe";
  keyCache.set(labels, out);
  return out;
}

/** Key over only the given label names (on) or all but them (ignoring; always ignores __name__). */
export function signature(labels: Labels, names: readonly string[], on: boolean): string {
  if (on) {
    const sorted = [...names].sort();
    let out = "";
    for (const n of sorted) out += n + "\xff" + (labels[n] ?? "") + "\xfe";
    return out;
  }
  const skip = new Set(names);
  skip.add(METRIC_NAME);
  const kept = Object.keys(labels).filter((n) => !skip.has(n)).sort();
  let out = "";
  for (const n of kept) out += n + "\xff" + (labels[n] ?? "") + "\xfe";
  return out;
}

const dropNameCache = new WeakMap<Labels, Labels>();

/** The label set without `__name__`; the same object is returned for the same input (cheap keys). */
export function dropName(labels: Labels): Labels {
  if (!(METRIC_NAME in labels)) return labels;
  const cached = dropNameCache.get(labels);
  if (cached) return cached;
  const { [METRIC_NAME]: _name, ...rest } = labels;
  dropNameCache.set(labels, rest);
  return rest;
}

/** Removes empty-valued labels (an empty label equals an absent one). */
export function cleanLabels(labels: Record<string, string>): Labels {
  for (const k of Object.keys(labels)) if (labels[k] === "") delete labels[k];
  return labels;
}

/** Compares label sets the way Prometheus sorts them (by sorted name/value pairs). */
export function compareLabels(a: Labels, b: Labels): number {
  const an = Object.keys(a).sort();
  const bn = Object.keys(b).sort();
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an[i] ?? "";
    const y = bn[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
    const xv = a[x] ?? "";
    const yv = b[y] ?? "";
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return an.length - bn.length;
}

/** Formats labels like Prometheus: {__name__="a", b="c"} (name first when present). */
export function formatLabels(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n] ?? "")}`).join(", ")}}`;
}

/** Whether a label value satisfies a matcher; `regex` is the compiled pattern of =~ and !~ matchers. */
export function matches(m: Matcher, value: string, regex: RegExp | undefined): boolean {
  switch (m.type) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return regex?.test(value) ?? false;
    case "!~":
      return !(regex?.test(value) ?? false);
  }
}
