/** Label sets, matchers and the inverted index (label name → value → sorted series ids). Pure. */
import type { Labels, Matcher } from "#server/modules/metric-store/metric-store.port.ts";
import { ownString } from "#server/platform/own-string.ts";

/** Drops empty values and sorts by name; returns null (with a reason) when the set is invalid. */
export function normalizeLabels(labels: Labels): { labels: Labels; key: string } | { error: string } {
  const names = Object.keys(labels).filter((n) => labels[n] !== "" && labels[n] !== undefined).sort();
  if (names.length === 0) return { error: "series without labels" };
  const out: Record<string, string> = {};
  let key = "";
  for (const name of names) {
    const value = labels[name]!;
    if (typeof value !== "string") return { error: `label ${name} is not a string` };
    if (name.includes("\u0000") || value.includes("\u0000")) return { error: "label contains a NUL character" };
    out[ownString(name)] = ownString(value);
    key += name + "\u0000" + value + "\u0000";
  }
  return { labels: out, key };
}

/**
 * The canonical key of a label set without copying it (the append fast path): labels that are
 * already sorted, without empty values, need no allocation beyond the key string.
 */
export function seriesKey(labels: Labels): string | { error: string } {
  const names = Object.keys(labels);
  for (let i = 1; i < names.length; i++) {
    if (names[i]! < names[i - 1]!) {
      names.sort();
      break;
    }
  }
  let key = "";
  for (const name of names) {
    const value = labels[name];
    if (typeof value !== "string") return { error: `label ${name} is not a string` };
    if (value === "") continue;
    if (value.includes("\u0000") || name.includes("\u0000")) return { error: "label contains a NUL character" };
    key += name + "\u0000" + value + "\u0000";
  }
  if (key === "") return { error: "series without labels" };
  return key;
}

/** FNV-1a-style over two UTF-16 code units at a time (half the multiplies), then the length. */
function hashString(h: number, s: string): number {
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = Math.imul(h ^ (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)), 16777619);
  if (i < n) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return Math.imul(h ^ (0xff00 | n), 16777619);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Order-independent hash of a label set (empty values skipped): the sum of a mixed FNV-1a hash
 * per name/value pair, so no sorting is needed. Returns -1 when a value is not a string. Equal
 * label sets always hash equally, so a hit only needs an equality check (labelsEqual).
 */
export function hashLabels(labels: Labels): number {
  let sum = 0;
  let n = 0;
  for (const name in labels) {
    const value = labels[name];
    if (typeof value !== "string") return -1;
    if (value === "") continue;
    sum = (sum + fmix32(hashString(hashString(0x811c9dc5 | 0, name), value))) | 0;
    n++;
  }
  return fmix32(sum ^ Math.imul(n, 0x9e3779b1)) >>> 0;
}

/** Whether `candidate` (empty values ignored) has exactly the normalized `labels`, which have `count` entries. */
export function labelsEqual(labels: Labels, count: number, candidate: Labels): boolean {
  let n = 0;
  for (const name in candidate) {
    const value = candidate[name];
    if (value === "") continue;
    if (labels[name] !== value) return false;
    n++;
  }
  return n === count;
}

/** Canonical key of already-normalized labels. */
export function labelsKey(labels: Labels): string {
  let key = "";
  for (const name of Object.keys(labels).sort()) key += name + "\u0000" + labels[name]! + "\u0000";
  return key;
}

export type CompiledMatcher = { name: string; matches: (value: string) => boolean; type: Matcher["type"]; value: string };

const regexCache = new Map<string, RegExp>();

function anchored(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    try {
      re = new RegExp(`^(?:${source})$`, "su");
    } catch (error) {
      throw new InvalidMatcherError(`invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

export class InvalidMatcherError extends Error {
  override name = "InvalidMatcherError";
}

export function compileMatcher(m: Matcher): CompiledMatcher {
  switch (m.type) {
    case "=":
      return { ...m, matches: (v) => v === m.value };
    case "!=":
      return { ...m, matches: (v) => v !== m.value };
    case "=~": {
      const re = anchored(m.value);
      return { ...m, matches: (v) => re.test(v) };
    }
    case "!~": {
      const re = anchored(m.value);
      return { ...m, matches: (v) => !re.test(v) };
    }
    default:
      throw new InvalidMatcherError(`unknown matcher type ${String((m as { type: unknown }).type)}`);
  }
}

/** True when the labels satisfy every matcher (a missing label has the value ""). */
export function labelsMatch(labels: Labels, matchers: CompiledMatcher[]): boolean {
  for (const m of matchers) if (!m.matches(labels[m.name] ?? "")) return false;
  return true;
}

export function intersect(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return out;
}

export function union(lists: ReadonlyArray<readonly number[]>): number[] {
  if (lists.length === 0) return [];
  if (lists.length === 1) return lists[0]!.slice();
  const all: number[] = [];
  for (const l of lists) for (const x of l) all.push(x);
  all.sort((x, y) => x - y);
  const out: number[] = [];
  for (const x of all) if (out.length === 0 || out[out.length - 1] !== x) out.push(x);
  return out;
}

export function subtract(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]! < x) j++;
    if (j < b.length && b[j] === x) continue;
    out.push(x);
  }
  return out;
}

/** Inverted index for one user's series: ids are added in increasing order. */
export class LabelIndex {
  private readonly postings = new Map<string, Map<string, number[]>>();
  all: number[] = [];

  add(id: number, labels: Labels): void {
    if (this.all.length > 0 && this.all[this.all.length - 1]! >= id) throw new Error("series ids must increase");
    this.all.push(id);
    for (const name in labels) {
      let values = this.postings.get(name);
      if (!values) this.postings.set(name, (values = new Map<string, number[]>()));
      const value = labels[name]!;
      const list = values.get(value);
      if (list) list.push(id);
      else values.set(value, [id]);
    }
  }

  /** Removes ids (sorted) from every posting list. */
  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    const gone = new Set(ids);
    this.all = this.all.filter((id) => !gone.has(id));
    for (const [name, values] of this.postings) {
      for (const [value, list] of values) {
        const kept = list.filter((id) => !gone.has(id));
        if (kept.length === 0) values.delete(value);
        else if (kept.length !== list.length) values.set(value, kept);
      }
      if (values.size === 0) this.postings.delete(name);
    }
  }

  get size(): number {
    return this.all.length;
  }

  names(): string[] {
    return [...this.postings.keys()];
  }

  values(name: string): string[] {
    return [...(this.postings.get(name)?.keys() ?? [])];
  }

  /** Sorted ids of the series matching every matcher (all series when there are none). */
  select(matchers: readonly CompiledMatcher[]): number[] {
    let result: number[] | null = null;
    // Cheapest first: equality matchers that do not match "".
    const ordered = [...matchers].sort((x, y) => rank(x) - rank(y));
    for (const m of ordered) {
      const ids = this.postingsFor(m);
      result = result === null ? ids : intersect(result, ids);
      if (result.length === 0) return result;
    }
    return result ?? this.all.slice();
  }

  private postingsFor(m: CompiledMatcher): number[] {
    const values = this.postings.get(m.name);
    if (m.matches("")) {
      // Series without the label match too: everything minus the series with a non-matching value.
      if (!values) return this.all.slice();
      const excluded: number[][] = [];
      for (const [value, list] of values) if (!m.matches(value)) excluded.push(list);
      return excluded.length === 0 ? this.all.slice() : subtract(this.all, union(excluded));
    }
    if (!values) return [];
    if (m.type === "=") return values.get(m.value)?.slice() ?? [];
    const lists: number[][] = [];
    for (const [value, list] of values) if (m.matches(value)) lists.push(list);
    return union(lists);
  }
}

function rank(m: CompiledMatcher): number {
  if (m.type === "=" && m.value !== "") return 0;
  if (m.type === "=~") return 1;
  return 2;
}
