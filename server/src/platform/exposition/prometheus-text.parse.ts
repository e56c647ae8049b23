import {
  C_0,
  C_9,
  C_BRACE_CLOSE,
  C_BRACE_OPEN,
  C_COMMA,
  C_EQUALS,
  C_HASH,
  C_QUOTE,
  C_SPACE,
  C_TAB,
  describe,
  ExpositionScanner,
  isMetricNameStart,
  unescape,
} from "#server/platform/exposition/exposition-scanner.ts";
import { parseGoFloat } from "#server/platform/exposition/go-float.ts";
import type { ExpositionLimits, MetricType, ParsedExposition } from "#server/platform/exposition/exposition.types.ts";

/*
 * Prometheus text format 0.0.4, as lenient as Prometheus 2.42's scrape parser (promlex.l /
 * promparse.go), because exporters are tested against that parser and not against the spec:
 * blanks and tabs may surround every token, blank lines and `#` comments are skipped, the comma
 * between labels is optional and a trailing one allowed, a label value may contain a raw newline,
 * the last line needs no newline, and HELP/TYPE may come anywhere. Timestamps are integer
 * milliseconds, digits only.
 */

const TEXT_TYPES: Readonly<Record<string, MetricType>> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  summary: "summary",
  untyped: "unknown",
};

/** Largest int64, the range of Prometheus's text-format timestamps. */
const MAX_INT64 = 9223372036854775807n;
const MAX_SAFE_DIGITS = 15;

export function parsePrometheusText(src: string, limits: ExpositionLimits): ParsedExposition {
  const parser = new PrometheusTextParser(src, limits);
  parser.parse();
  return { format: "prometheus", samples: parser.samples, metadata: [...parser.metadata.values()] };
}

class PrometheusTextParser extends ExpositionScanner {
  parse(): void {
    while (this.pos < this.len) {
      this.beginLine();
      this.skipBlanks();
      if (this.pos < this.lineEnd) {
        const c = this.src.charCodeAt(this.pos);
        if (c === C_HASH) this.parseComment();
        else if (isMetricNameStart(c)) this.parseSample();
        else this.fail(`expected a metric name or '#', got ${describe(this.src, this.pos)}`);
      }
      this.nextLine();
    }
  }

  skipBlanks(): void {
    const src = this.src;
    let c: number;
    while (this.pos < this.lineEnd && ((c = src.charCodeAt(this.pos)) === C_SPACE || c === C_TAB)) this.pos++;
  }

  /** `# HELP name text`, `# TYPE name type`; any other line starting with `#` is a comment. */
  parseComment(): void {
    this.pos++;
    const afterHash = this.pos;
    this.skipBlanks();
    if (this.pos === afterHash) return;
    const src = this.src;
    const keyword = src.startsWith("HELP", this.pos) ? "HELP" : src.startsWith("TYPE", this.pos) ? "TYPE" : undefined;
    if (keyword === undefined) return;
    const afterKeyword = this.pos + 4;
    const next = src.charCodeAt(afterKeyword);
    if (afterKeyword >= this.lineEnd || (next !== C_SPACE && next !== C_TAB)) return;
    this.pos = afterKeyword;
    this.skipBlanks();
    if (this.pos >= this.lineEnd || !isMetricNameStart(src.charCodeAt(this.pos))) {
      this.fail(`expected metric name after ${keyword}`);
    }
    const nameEnd = this.metricNameEnd();
    const name = src.slice(this.pos, nameEnd);
    // Prometheus takes the rest of the line minus its first character (normally the separating blank).
    const textStart = Math.min(nameEnd + 1, this.lineEnd);
    if (keyword === "HELP") {
      this.metadataFor(name).help = unescape(src, textStart, this.lineEnd, false);
      return;
    }
    const text = src.slice(textStart, this.lineEnd);
    const type = Object.hasOwn(TEXT_TYPES, text) ? TEXT_TYPES[text] : undefined;
    if (type === undefined) this.fail(`invalid metric type "${text}"`);
    this.metadataFor(name).type = type;
  }

  parseSample(): void {
    const src = this.src;
    const nameEnd = this.metricNameEnd();
    const labels = this.newLabels(nameEnd);
    this.pos = nameEnd;
    this.skipBlanks();
    if (this.pos < this.lineEnd && src.charCodeAt(this.pos) === C_BRACE_OPEN) {
      this.pos++;
      this.parseLabels(labels);
      this.skipBlanks();
    }
    const valueStart = this.pos;
    let c: number;
    while (this.pos < this.lineEnd && (c = src.charCodeAt(this.pos)) !== C_SPACE && c !== C_TAB && c !== C_BRACE_OPEN) {
      this.pos++;
    }
    if (this.pos === valueStart) this.fail(`expected value after metric, got ${describe(src, this.pos)}`);
    const value = parseGoFloat(src, valueStart, this.pos);
    if (value === undefined) this.fail(`invalid value "${src.slice(valueStart, this.pos)}"`);
    this.skipBlanks();
    let timestampMs: number | undefined;
    if (this.pos < this.lineEnd) {
      timestampMs = this.readTimestamp();
      this.skipBlanks();
      if (this.pos < this.lineEnd) this.fail(`expected end of line after timestamp, got ${describe(src, this.pos)}`);
    }
    this.pushSample(labels, value, timestampMs);
  }

  /** After `{`: `name="value"` pairs, commas optional between them and allowed before `}`. */
  parseLabels(labels: Record<string, string>): void {
    const src = this.src;
    for (;;) {
      this.skipBlanks();
      if (this.pos < this.lineEnd && src.charCodeAt(this.pos) === C_BRACE_CLOSE) {
        this.pos++;
        return;
      }
      const name = this.readLabelName();
      if (name === undefined) this.fail(`expected label name, got ${describe(src, this.pos)}`);
      this.skipBlanks();
      if (this.pos >= this.lineEnd || src.charCodeAt(this.pos) !== C_EQUALS) this.fail(`expected '=' after label name, got ${describe(src, this.pos)}`);
      this.pos++;
      this.skipBlanks();
      if (this.pos >= this.lineEnd || src.charCodeAt(this.pos) !== C_QUOTE) this.fail(`expected quoted label value, got ${describe(src, this.pos)}`);
      this.addLabel(labels, name, this.readQuotedValue(true));
      this.skipBlanks();
      if (this.pos < this.lineEnd && src.charCodeAt(this.pos) === C_COMMA) this.pos++;
    }
  }

  readTimestamp(): number {
    const src = this.src;
    const start = this.pos;
    let c: number;
    while (this.pos < this.lineEnd && (c = src.charCodeAt(this.pos)) >= C_0 && c <= C_9) this.pos++;
    if (this.pos === start) this.fail(`expected timestamp or end of line, got ${describe(src, start)}`);
    const digits = src.slice(start, this.pos);
    if (digits.length > MAX_SAFE_DIGITS && BigInt(digits) > MAX_INT64) this.fail(`timestamp ${digits} out of range`);
    return Number(digits);
  }
}
