import { ExpositionError } from "#server/platform/exposition/exposition-error.ts";
import type { ExpositionLimits, ExpositionSample, MetricMetadata } from "#server/platform/exposition/exposition.types.ts";

/*
 * What both format parsers share: a cursor over the decoded body that works line by line with
 * charCodeAt (no regular expressions, no per-character allocation), the name and label-value
 * lexemes, and the limit checks made before anything is allocated for a line or a label.
 */

export const C_TAB = 9;
export const C_NEWLINE = 10;
export const C_SPACE = 32;
export const C_QUOTE = 34;
export const C_HASH = 35;
export const C_COMMA = 44;
export const C_0 = 48;
export const C_9 = 57;
export const C_EQUALS = 61;
export const C_BACKSLASH = 92;
export const C_BRACE_OPEN = 123;
export const C_BRACE_CLOSE = 125;
const C_LOWER_N = 110;

const METRIC_START = 1;
const METRIC_CHAR = 2;
const LABEL_START = 4;
const LABEL_CHAR = 8;

/** Character classes of ASCII: metric names are [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*. */
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  if (letter) CLASS[c] = METRIC_START | METRIC_CHAR | LABEL_START | LABEL_CHAR;
  else if (digit) CLASS[c] = METRIC_CHAR | LABEL_CHAR;
  else if (c === 58) CLASS[c] = METRIC_START | METRIC_CHAR;
}

export function isMetricNameStart(c: number): boolean {
  return c < 128 && ((CLASS[c] ?? 0) & METRIC_START) !== 0;
}

export function isLabelNameStart(c: number): boolean {
  return c < 128 && ((CLASS[c] ?? 0) & LABEL_START) !== 0;
}

export class ExpositionScanner {
  readonly src: string;
  readonly len: number;
  readonly limits: ExpositionLimits;
  readonly samples: ExpositionSample[] = [];
  readonly metadata = new Map<string, MetricMetadata>();
  pos = 0;
  /** 1-based number of the line the cursor is on. */
  line = 1;
  lineStart = 0;
  /** Index of the line's `\n`, or `len` on a last line without one. */
  lineEnd = 0;
  /**
   * The current sample's name and labels (without `__name__`, empty values included) in the
   * order written, reused from line to line: rules that look at label sets read these instead
   * of enumerating each sample's label object.
   */
  metricName = "";
  readonly labelNames: string[] = [];
  readonly labelValues: string[] = [];
  /** Where each label (`name="value"`) starts and ends in `src`, in pairs; kept by the OpenMetrics parser only. */
  readonly labelSpans: number[] = [];
  labelCount = 0;

  constructor(src: string, limits: ExpositionLimits) {
    this.src = src;
    this.len = src.length;
    this.limits = limits;
  }

  fail(message: string, limit?: keyof ExpositionLimits): never {
    throw new ExpositionError(this.line, message, limit);
  }

  /** Finds the end of the line at `pos` and refuses it before parsing if it is too long. */
  beginLine(): void {
    this.lineStart = this.pos;
    const end = this.src.indexOf("\n", this.pos);
    this.lineEnd = end === -1 ? this.len : end;
    this.checkLineLength();
  }

  nextLine(): void {
    this.pos = this.lineEnd + 1;
    this.line++;
  }

  checkLineLength(): void {
    if (this.lineEnd - this.lineStart > this.limits.maxLineLength) {
      this.fail(`line longer than maxLineLength (${this.limits.maxLineLength} characters)`, "maxLineLength");
    }
  }

  /** End of the metric name that starts at `pos` (the caller checked its first character). */
  metricNameEnd(): number {
    const src = this.src;
    let i = this.pos + 1;
    const end = this.lineEnd;
    for (; i < end; i++) {
      const c = src.charCodeAt(i);
      if (c >= 128 || ((CLASS[c] ?? 0) & METRIC_CHAR) === 0) break;
    }
    return i;
  }

  /** Reads the label name at `pos`, or undefined if none starts there. */
  readLabelName(): string | undefined {
    const src = this.src;
    const start = this.pos;
    if (!isLabelNameStart(src.charCodeAt(start)) || start >= this.lineEnd) return undefined;
    let i = start + 1;
    for (; i < this.lineEnd; i++) {
      const c = src.charCodeAt(i);
      if (c >= 128 || ((CLASS[c] ?? 0) & LABEL_CHAR) === 0) break;
    }
    if (i - start > this.limits.maxLabelNameLength) {
      this.fail(`label name longer than maxLabelNameLength (${this.limits.maxLabelNameLength})`, "maxLabelNameLength");
    }
    this.pos = i;
    // Consecutive samples mostly repeat their label names: handing out the previous sample's string
    // again spares the allocation and, more, the internalisation of a new key in `labels[name] = …`.
    return this.sameOrSlice(this.labelNames[this.labelCount], start, i);
  }

  /** `previous` if it equals `src[start, end)` (compared with a loop: startsWith is much slower here), else a new slice. */
  sameOrSlice(previous: string | undefined, start: number, end: number): string {
    const src = this.src;
    const length = end - start;
    if (previous !== undefined && previous.length === length) {
      let k = 0;
      while (k < length && previous.charCodeAt(k) === src.charCodeAt(start + k)) k++;
      if (k === length) return previous;
    }
    return src.slice(start, end);
  }

  /**
   * Reads the double-quoted label value at `pos`. A backslash escapes any character; `\"`, `\\` and
   * `\n` are replaced and other escapes kept as written, like Prometheus. The text format lets a
   * value run over a raw newline (Prometheus 2.42 does); OpenMetrics does not.
   */
  readQuotedValue(allowRawNewline: boolean): string {
    const src = this.src;
    const start = this.pos + 1;
    let i = start;
    let escaped = false;
    for (;;) {
      if (i >= this.lineEnd) {
        if (!allowRawNewline || i >= this.len) this.fail("unterminated label value");
        this.line++;
        const end = src.indexOf("\n", i + 1);
        this.lineEnd = end === -1 ? this.len : end;
        this.checkLineLength();
      }
      const c = src.charCodeAt(i);
      if (c === C_QUOTE) break;
      if (c === C_BACKSLASH) {
        if (i + 1 >= this.lineEnd) this.fail("unterminated escape sequence in label value");
        escaped = true;
        i += 2;
      } else {
        i++;
      }
    }
    this.pos = i + 1;
    if (i - start > this.limits.maxLabelValueLength) this.failValueLength();
    return escaped ? unescape(src, start, i, true) : src.slice(start, i);
  }

  failValueLength(): never {
    this.fail(`label value longer than maxLabelValueLength (${this.limits.maxLabelValueLength})`, "maxLabelValueLength");
  }

  /**
   * Adds a label to `labels` and to the scratch arrays, refusing duplicates (`__name__` included)
   * and too many labels.
   */
  addLabel(labels: Record<string, string>, name: string, value: string): void {
    const count = this.labelCount;
    if (name === "__name__" && Object.hasOwn(labels, name)) this.fail('duplicate label name "__name__"');
    for (let i = 0; i < count; i++) if (this.labelNames[i] === name) this.fail(`duplicate label name "${name}"`);
    // `count` leaves out `__name__`, which counts towards the limit too.
    if (count + 1 >= this.limits.maxLabelsPerSeries) {
      this.fail(`more than maxLabelsPerSeries (${this.limits.maxLabelsPerSeries}) labels`, "maxLabelsPerSeries");
    }
    this.labelNames[count] = name;
    this.labelValues[count] = value;
    this.labelCount = count + 1;
    // An empty value means the label is absent, as in Prometheus.
    if (value === "") return;
    if (name === "__proto__") {
      // Plain assignment would set the prototype instead of an own property.
      Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
    } else {
      labels[name] = value;
    }
  }

  /** Starts the label set of a sample: the metric name at `pos` up to `nameEnd` becomes `__name__`. */
  newLabels(nameEnd: number): Record<string, string> {
    if (nameEnd - this.pos > this.limits.maxLabelValueLength) this.failValueLength();
    this.metricName = this.src.slice(this.pos, nameEnd);
    this.labelCount = 0;
    return { __name__: this.metricName };
  }

  pushSample(labels: Record<string, string>, value: number, timestampMs: number | undefined): void {
    if (this.samples.length >= this.limits.maxSamples) {
      this.fail(`more than maxSamples (${this.limits.maxSamples}) samples`, "maxSamples");
    }
    this.samples.push(timestampMs === undefined ? { labels, value } : { labels, value, timestampMs });
  }

  metadataFor(name: string): MetricMetadata {
    let entry = this.metadata.get(name);
    if (entry === undefined) {
      if (this.metadata.size >= this.limits.maxMetricFamilies) {
        this.fail(`metadata for more than maxMetricFamilies (${this.limits.maxMetricFamilies}) metric families`, "maxMetricFamilies");
      }
      entry = { name, type: "unknown", help: "", unit: "" };
      this.metadata.set(name, entry);
    }
    return entry;
  }
}

/**
 * Replaces `\\`, `\n` and (when `quotes`) `\"` in `src[start, end)`; any other backslash sequence
 * is kept as written, which is what Prometheus does for label values and HELP text.
 */
export function unescape(src: string, start: number, end: number, quotes: boolean): string {
  let out = "";
  let from = start;
  for (let i = start; i < end - 1; i++) {
    if (src.charCodeAt(i) !== C_BACKSLASH) continue;
    const next = src.charCodeAt(i + 1);
    let replacement: string | undefined;
    if (next === C_BACKSLASH) replacement = "\\";
    else if (next === C_LOWER_N) replacement = "\n";
    else if (next === C_QUOTE && quotes) replacement = '"';
    if (replacement === undefined) {
      i++;
      continue;
    }
    out += src.slice(from, i) + replacement;
    from = i + 2;
    i++;
  }
  return out + src.slice(from, end);
}

/** A short, printable description of the character at `i` for error messages. */
export function describe(src: string, i: number): string {
  if (i >= src.length) return "end of input";
  const c = src.charCodeAt(i);
  if (c === C_NEWLINE) return "end of line";
  return JSON.stringify(String.fromCodePoint(src.codePointAt(i) ?? c));
}
