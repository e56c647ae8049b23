import { parseGoFloat } from "#server/platform/exposition/go-float.ts";
import type { MetricType } from "#server/platform/exposition/exposition.types.ts";

/*
 * The OpenMetrics 1.0 rules that span lines, checked as the parser streams samples and metadata
 * through (strict validation only). They follow the specification as its reference parser
 * (prometheus/client_python, which the OpenMetrics test suite was written against) applies it:
 * a family's metadata comes before its samples, a family's samples are contiguous and its names
 * don't clash with another family's, each sample name is one the family's type allows, label
 * groups are contiguous with non-decreasing timestamps, counter-like values are neither NaN nor
 * negative, histogram buckets are ordered, cumulative and end with +Inf, and so on.
 * Every method returns a message for the first broken rule, or undefined.
 */

/** Sample names a type allows, as suffixes of the family name. */
const TYPE_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ["_total", "_created"],
  summary: ["", "_count", "_sum", "_created"],
  histogram: ["_count", "_sum", "_bucket", "_created"],
  gaugehistogram: ["_gcount", "_gsum", "_bucket"],
  info: ["_info"],
  gauge: [""],
  stateset: [""],
  unknown: [""],
};
const NO_TYPE_SUFFIXES: readonly string[] = [""];
/** The names a family of each type claims: its sample names and the family name itself. */
const CLASH_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ["_total", "_created", ""],
  summary: ["", "_count", "_sum", "_created"],
  histogram: ["_count", "_sum", "_bucket", "_created", ""],
  gaugehistogram: ["_gcount", "_gsum", "_bucket", ""],
  info: ["_info", ""],
  gauge: [""],
  stateset: [""],
  unknown: [""],
};

const COUNTER_LIKE = new Set(["_total", "_sum", "_count", "_bucket", "_gcount", "_gsum"]);
/** Code points allowed in an exemplar's label names and values together. */
const MAX_EXEMPLAR_LABEL_CHARS = 128;

/** A UNIT must be the last `_`-separated part of the family name (Prometheus checks this too). */
export function unitError(name: string, unit: string): string | undefined {
  const underscoreBefore = name.charCodeAt(name.length - unit.length - 1) === 95; // "_"
  if (unit === "" || (name.endsWith(unit) && name.length > unit.length && underscoreBefore)) return undefined;
  return `unit "${unit}" is not a suffix of metric "${name}"`;
}

/** The current sample's name and labels as the parser holds them (see ExpositionScanner). */
export interface LabelView {
  readonly src: string;
  readonly metricName: string;
  /** Start and end in `src` of each label as written, `name="value"`, in pairs. */
  readonly labelSpans: readonly number[];
  readonly labelNames: readonly string[];
  readonly labelValues: readonly string[];
  readonly labelCount: number;
}

export function exemplarLabelLengthError(view: LabelView): string | undefined {
  let chars = 0;
  for (let i = 0; i < view.labelCount; i++) {
    chars += (view.labelNames[i] ?? "").length;
    for (const _ of view.labelValues[i] ?? "") chars++;
  }
  return chars > MAX_EXEMPLAR_LABEL_CHARS ? `exemplar labels have ${chars} characters, more than ${MAX_EXEMPLAR_LABEL_CHARS}` : undefined;
}

export class OpenMetricsFamilies {
  private readonly seenNames = new Set<string>();
  private name: string | undefined;
  private type: MetricType | undefined;
  private hasHelp = false;
  private unit: string | undefined;
  private suffixes: readonly string[] = NO_TYPE_SUFFIXES;
  private lastSampleName = "";
  private lastSuffix: string | undefined;
  private sampleCount = 0;
  /** The previous sample's group (see groupHash). */
  private groupHash: number | undefined;
  private groupTimestamp: number | undefined;
  /** Every group of the family so far, with the labels of its first sample to rule out hash collisions. */
  private readonly seenGroups = new Map<number, Record<string, string>>();
  private readonly histogram = new HistogramGroup();

  help(name: string): string | undefined {
    const problem = this.enterFamily(name, "HELP");
    if (problem !== undefined) return problem;
    if (this.hasHelp) return `second HELP for ${name}`;
    this.hasHelp = true;
    return undefined;
  }

  setType(name: string, type: MetricType): string | undefined {
    const problem = this.enterFamily(name, "TYPE");
    if (problem !== undefined) return problem;
    if (this.type !== undefined) return `second TYPE for ${name}`;
    this.type = type;
    this.suffixes = TYPE_SUFFIXES[type];
    this.lastSuffix = undefined;
    for (const suffix of CLASH_SUFFIXES[type]) {
      if (this.seenNames.has(name + suffix)) return `metric family ${name} (${type}) clashes with an earlier family over the name ${name + suffix}`;
    }
    return undefined;
  }

  setUnit(name: string, unit: string): string | undefined {
    const problem = this.enterFamily(name, "UNIT");
    if (problem !== undefined) return problem;
    if (this.unit !== undefined) return `second UNIT for ${name}`;
    this.unit = unit;
    return undefined;
  }

  sample(view: LabelView, labels: Record<string, string>, value: number, timestampSeconds: number | undefined, hasExemplar: boolean): string | undefined {
    const sampleName = view.metricName;
    let suffix = this.suffixOf(sampleName);
    if (suffix === undefined) {
      // A sample its family does not allow starts a new family of unknown type.
      const problem = this.finishFamily() ?? this.clashError(sampleName);
      if (problem !== undefined) return problem;
      this.startFamily(sampleName, "unknown");
      suffix = "";
    }
    const name = this.name ?? sampleName;
    const type = this.type;
    this.sampleCount++;

    let excluded: string | undefined;
    let le: string | undefined;
    if (type === "stateset") {
      excluded = name;
      if (labelValue(view, name) === undefined) return `stateset sample ${sampleName} has no "${name}" label`;
      if (value !== 0 && value !== 1) return `stateset sample ${sampleName} has value ${value}, not 0 or 1`;
    } else if (suffix === "_bucket") {
      excluded = "le";
      le = labelValue(view, "le");
      if (boundaryValue(le) === undefined) return `bucket ${sampleName} needs a numeric "le" label, got ${JSON.stringify(le ?? "")}`;
      if (!Number.isInteger(value)) return `bucket ${sampleName} has non-integer value ${value}`;
    } else if (type === "summary" && suffix === "") {
      excluded = "quantile";
      const quantile = labelValue(view, "quantile");
      const q = boundaryValue(quantile);
      if (q === undefined || q < 0 || q > 1) return `summary ${sampleName} needs a "quantile" label between 0 and 1, got ${JSON.stringify(quantile ?? "")}`;
      if (value < 0) return `summary quantile ${sampleName} has negative value ${value}`;
    } else if (type === "info" && value !== 1) {
      return `info sample ${sampleName} has value ${value}, not 1`;
    }
    if ((suffix === "_count" || suffix === "_gcount") && !Number.isInteger(value)) return `${sampleName} has non-integer value ${value}`;
    if (COUNTER_LIKE.has(suffix)) {
      if (Number.isNaN(value)) return `${sampleName} is counter-like and cannot be NaN`;
      if (value < 0 && suffix !== "_gsum") return `${sampleName} is counter-like and cannot be negative (${value})`;
    }
    if (hasExemplar && !(suffix === "_bucket" || (type === "counter" && suffix === "_total"))) {
      return `exemplar on ${sampleName}: only counter _total and histogram _bucket samples can have one`;
    }

    const hash = type === "info" ? 0 : groupHash(view, excluded);
    const problem = this.checkGroup(sampleName, hash, labels, excluded, timestampSeconds);
    if (problem !== undefined) return problem;
    if (type === "histogram" || type === "gaugehistogram") return this.histogram.add(name, suffix, hash, le, value, timestampSeconds);
    return undefined;
  }

  /** Call at `# EOF`. */
  end(): string | undefined {
    return this.finishFamily();
  }

  private suffixOf(sampleName: string): string | undefined {
    // Consecutive samples mostly share their name.
    if (sampleName === this.lastSampleName && this.lastSuffix !== undefined) return this.lastSuffix;
    this.lastSampleName = sampleName;
    this.lastSuffix = this.findSuffix(sampleName);
    return this.lastSuffix;
  }

  private findSuffix(sampleName: string): string | undefined {
    const name = this.name;
    if (name === undefined) return undefined;
    for (const suffix of this.suffixes) {
      if (sampleName.length === name.length + suffix.length && isConcatenation(sampleName, name, suffix)) return suffix;
    }
    return undefined;
  }

  /** Groups are contiguous, and their timestamps all present or all absent and (except for info) ordered. */
  private checkGroup(
    sampleName: string,
    hash: number,
    labels: Record<string, string>,
    excluded: string | undefined,
    timestampSeconds: number | undefined,
  ): string | undefined {
    if (hash === this.groupHash) {
      if ((timestampSeconds === undefined) !== (this.groupTimestamp === undefined)) return `${sampleName}: a group mixes samples with and without timestamps`;
      if (this.type !== "info" && this.groupTimestamp !== undefined && timestampSeconds !== undefined && timestampSeconds < this.groupTimestamp) {
        return `${sampleName}: timestamps go backwards within a group`;
      }
    } else {
      const earlier = this.seenGroups.get(hash);
      if (earlier === undefined) this.seenGroups.set(hash, labels);
      else if (this.type === "info" || sameGroup(earlier, this.excludedLabel(earlier.__name__ ?? ""), labels, excluded)) {
        return `${sampleName}: samples of one label group are not contiguous`;
      }
    }
    this.groupHash = hash;
    this.groupTimestamp = timestampSeconds;
    return undefined;
  }

  /** The label that varies within a group of this family's samples called `sampleName`. */
  private excludedLabel(sampleName: string): string | undefined {
    if (this.type === "stateset") return this.name;
    const suffix = this.suffixOf(sampleName);
    if (suffix === "_bucket") return "le";
    return this.type === "summary" && suffix === "" ? "quantile" : undefined;
  }

  /** Metadata starts a family unless it is for the current one, which must have no samples yet. */
  private enterFamily(name: string, keyword: string): string | undefined {
    if (name === this.name) return this.sampleCount > 0 ? `${keyword} for ${name} after its samples` : undefined;
    const problem = this.finishFamily() ?? this.clashError(name);
    if (problem === undefined) this.startFamily(name, undefined);
    return problem;
  }

  private startFamily(name: string, type: MetricType | undefined): void {
    this.name = name;
    this.type = type;
    this.hasHelp = false;
    this.unit = undefined;
    this.suffixes = type === undefined ? NO_TYPE_SUFFIXES : TYPE_SUFFIXES[type];
    this.lastSuffix = undefined;
    this.sampleCount = 0;
    this.groupHash = undefined;
    this.groupTimestamp = undefined;
    this.seenGroups.clear();
    this.histogram.reset();
  }

  /** A family whose name is taken reports it at once (the names its type adds, once the type is known). */
  private clashError(name: string): string | undefined {
    return this.seenNames.has(name) ? `metric family ${name} appears again, or clashes with an earlier family's name (families must be contiguous)` : undefined;
  }

  private finishFamily(): string | undefined {
    const name = this.name;
    if (name === undefined) return undefined;
    const type = this.type ?? "unknown";
    for (const suffix of CLASH_SUFFIXES[type]) {
      if (this.seenNames.has(name + suffix)) return `metric family ${name} (${type}) clashes with an earlier family over the name ${name + suffix}`;
      this.seenNames.add(name + suffix);
    }
    if (this.unit !== undefined && this.unit !== "" && (type === "info" || type === "stateset")) return `${type} ${name} cannot have a UNIT`;
    return type === "histogram" || type === "gaugehistogram" ? this.histogram.finish(name) : undefined;
  }
}

/** A bucket bound or quantile: a number, and an infinity only as the canonical +Inf or -Inf. */
function boundaryValue(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = parseGoFloat(text, 0, text.length);
  if (value === undefined || Number.isNaN(value)) return undefined;
  if (!Number.isFinite(value) && text !== "+Inf" && text !== "-Inf") return undefined;
  return value;
}

/**
 * A sample's group is its label set without `excluded` (the label that varies within a group:
 * le, quantile or the stateset's own label). It is tracked by a hash so that no key is built per
 * sample: the sum of per-label hashes (independent of label order) of each label as written (in
 * OpenMetrics a value has one spelling), two 32-bit FNV-1a variants packed into 52 bits. Equal
 * hashes of consecutive samples are taken as one group (a collision has odds of 2^-52); a
 * repeated group is confirmed label by label before it is reported.
 */
function groupHash(view: LabelView, excluded: string | undefined): number {
  const src = view.src;
  let a = 0;
  let b = 0;
  for (let i = 0; i < view.labelCount; i++) {
    if (view.labelNames[i] === excluded || view.labelValues[i] === "") continue;
    let h1 = 0x811c9dc5;
    let h2 = 0x2545f491;
    const end = view.labelSpans[2 * i + 1] ?? 0;
    for (let k = view.labelSpans[2 * i] ?? 0; k < end; k++) {
      const c = src.charCodeAt(k);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    a = (a + finalize(h1)) | 0;
    b = (b + finalize(h2)) | 0;
  }
  return (a >>> 0) * 0x100000 + (b >>> 12);
}

/** murmur3's finalizer: spreads every input bit over the word before the hashes are summed. */
function finalize(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Whether `whole` is `prefix` followed by `suffix` (lengths already match); a loop, because
 * startsWith/endsWith on these sliced strings are several times slower.
 */
function isConcatenation(whole: string, prefix: string, suffix: string): boolean {
  for (let i = 0; i < prefix.length; i++) if (whole.charCodeAt(i) !== prefix.charCodeAt(i)) return false;
  for (let i = 0; i < suffix.length; i++) if (whole.charCodeAt(prefix.length + i) !== suffix.charCodeAt(i)) return false;
  return true;
}

/** A label's value from the scratch arrays; undefined when absent or empty (empty means absent). */
function labelValue(view: LabelView, name: string): string | undefined {
  for (let i = 0; i < view.labelCount; i++) {
    if (view.labelNames[i] === name) return view.labelValues[i] === "" ? undefined : view.labelValues[i];
  }
  return undefined;
}

function sameGroup(a: Record<string, string>, aExcluded: string | undefined, b: Record<string, string>, bExcluded: string | undefined): boolean {
  let count = 0;
  for (const key in b) {
    if (key === "__name__" || key === bExcluded) continue;
    if (key === aExcluded || a[key] !== b[key] || !Object.hasOwn(a, key)) return false;
    count++;
  }
  for (const key in a) {
    if (key !== "__name__" && key !== aExcluded) count--;
  }
  return count === 0;
}

/**
 * The histogram rules for one run of samples that share a group and a timestamp: buckets in
 * increasing `le` order with non-decreasing counts, ending at +Inf; `_count` equal to the +Inf
 * bucket; `_count` and `_sum` (`_gcount` and `_gsum`) present together; no `_sum` when a bucket
 * bound is negative, and no negative `_gsum` unless one is.
 */
class HistogramGroup {
  private active = false;
  private hash = 0;
  private timestamp: number | undefined;
  private lastBound: number | undefined;
  private lastCount = 0;
  private count: number | undefined;
  private negativeBucket = false;
  private hasSum = false;
  private hasGsum = false;
  private negativeGsum = false;

  add(name: string, suffix: string, hash: number, le: string | undefined, value: number, timestamp: number | undefined): string | undefined {
    if (!this.active || timestamp !== this.timestamp || hash !== this.hash) {
      if (this.active) {
        const problem = this.finish(name);
        if (problem !== undefined) return problem;
      }
      this.reset();
    }
    this.active = true;
    this.hash = hash;
    this.timestamp = timestamp;
    if (suffix === "_bucket") {
      const bound = boundaryValue(le) ?? Number.NaN;
      if (bound < 0) this.negativeBucket = true;
      if (this.lastBound !== undefined && bound <= this.lastBound) return `histogram ${name}: buckets out of order at le="${le ?? ""}"`;
      if (value < this.lastCount) return `histogram ${name}: bucket counts decrease at le="${le ?? ""}"`;
      this.lastBound = bound;
      this.lastCount = value;
    } else if (suffix === "_count" || suffix === "_gcount") {
      this.count = value;
    } else if (suffix === "_sum") {
      this.hasSum = true;
    } else if (suffix === "_gsum") {
      this.hasGsum = true;
      if (value < 0) this.negativeGsum = true;
    }
    return undefined;
  }

  finish(name: string): string | undefined {
    if (!this.active) return undefined;
    if (this.lastBound !== Number.POSITIVE_INFINITY) return `histogram ${name}: the +Inf bucket is missing`;
    if (this.count !== undefined && this.count !== this.lastCount) return `histogram ${name}: count ${this.count} differs from the +Inf bucket ${this.lastCount}`;
    if (this.hasSum && this.count === undefined) return `histogram ${name}: _sum without _count`;
    if (this.hasGsum && this.count === undefined) return `gauge histogram ${name}: _gsum without _gcount`;
    if (!this.hasSum && !this.hasGsum && this.count !== undefined) return `histogram ${name}: _count without _sum`;
    if (this.negativeBucket && this.hasSum) return `histogram ${name}: _sum is not allowed with negative buckets`;
    if (!this.negativeBucket && this.negativeGsum) return `gauge histogram ${name}: negative _gsum without negative buckets`;
    return undefined;
  }

  reset(): void {
    this.active = false;
    this.lastBound = undefined;
    this.lastCount = 0;
    this.count = undefined;
    this.negativeBucket = false;
    this.hasSum = false;
    this.hasGsum = false;
    this.negativeGsum = false;
  }
}
