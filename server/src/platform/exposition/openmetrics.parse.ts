import {
  C_BRACE_CLOSE,
  C_BRACE_OPEN,
  C_COMMA,
  C_EQUALS,
  C_HASH,
  C_QUOTE,
  C_SPACE,
  describe,
  ExpositionScanner,
  isMetricNameStart,
  unescape,
} from "#server/platform/exposition/exposition-scanner.ts";
import { parseGoFloat } from "#server/platform/exposition/go-float.ts";
import { OpenMetricsFamilies, exemplarLabelLengthError, unitError } from "#server/platform/exposition/openmetrics-families.rules.ts";
import type {
  ExpositionLimits,
  MetricType,
  OpenMetricsValidation,
  ParsedExposition,
} from "#server/platform/exposition/exposition.types.ts";

/*
 * OpenMetrics 1.0 text. The line grammar is strict in both validation modes, exactly as strict as
 * Prometheus 2.42's parser: single spaces between tokens, no blank lines, no free comments, commas
 * only between labels, `# EOF` last. `strict` validation adds the metric-family rules of the
 * specification (openmetrics-families.rules.ts); `prometheus` validation only adds the two checks
 * Prometheus 2.42 makes beyond the grammar (duplicate label names, exemplars only on `_total` and
 * `_bucket` samples).
 */

const OM_TYPES: Readonly<Record<string, MetricType>> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  gaugehistogram: "gaugehistogram",
  summary: "summary",
  info: "info",
  stateset: "stateset",
  unknown: "unknown",
};

export function parseOpenMetrics(src: string, limits: ExpositionLimits, validation: OpenMetricsValidation): ParsedExposition {
  const parser = new OpenMetricsParser(src, limits, validation === "strict" ? new OpenMetricsFamilies() : undefined);
  parser.parse();
  return { format: "openmetrics", samples: parser.samples, metadata: [...parser.metadata.values()] };
}

class OpenMetricsParser extends ExpositionScanner {
  readonly families: OpenMetricsFamilies | undefined;

  constructor(src: string, limits: ExpositionLimits, families: OpenMetricsFamilies | undefined) {
    super(src, limits);
    this.families = families;
  }

  parse(): void {
    while (this.pos < this.len) {
      this.beginLine();
      const c = this.src.charCodeAt(this.pos);
      if (c === C_HASH) {
        if (this.parseHashLine()) return;
      } else if (isMetricNameStart(c)) {
        this.parseSample();
      } else {
        this.fail(this.pos === this.lineEnd ? "blank line" : `expected a metric name or '#', got ${describe(this.src, this.pos)}`);
      }
      this.nextLine();
    }
    this.fail("missing # EOF at the end");
  }

  /** Metadata or `# EOF`; returns true at a valid `# EOF`. */
  parseHashLine(): boolean {
    const src = this.src;
    const start = this.pos;
    if (src.charCodeAt(start + 1) !== C_SPACE) this.fail("expected '# ' at the start of a metadata line");
    if (this.lineEnd === start + 5 && src.startsWith("EOF", start + 2)) {
      if (this.lineEnd < this.len - 1) {
        this.line++;
        this.fail("unexpected data after # EOF");
      }
      const problem = this.families?.end();
      if (problem !== undefined) this.fail(problem);
      return true;
    }
    const keyword = src.startsWith("HELP ", start + 2) ? "HELP" : src.startsWith("TYPE ", start + 2) ? "TYPE" : src.startsWith("UNIT ", start + 2) ? "UNIT" : undefined;
    if (keyword === undefined) {
      this.fail(`expected HELP, TYPE, UNIT or EOF after '# ', got ${describe(src, start + 2)}`);
    }
    this.pos = start + 7;
    if (this.pos >= this.lineEnd || !isMetricNameStart(src.charCodeAt(this.pos))) this.fail(`expected metric name after ${keyword}`);
    const nameEnd = this.metricNameEnd();
    const name = src.slice(this.pos, nameEnd);
    if (nameEnd >= this.lineEnd || src.charCodeAt(nameEnd) !== C_SPACE) this.fail(`expected ' ' and text after the metric name in ${keyword}`);
    const textStart = nameEnd + 1;
    const entry = this.metadataFor(name);
    let problem: string | undefined;
    if (keyword === "HELP") {
      entry.help = unescape(src, textStart, this.lineEnd, true);
      problem = this.families?.help(name);
    } else if (keyword === "TYPE") {
      const text = src.slice(textStart, this.lineEnd);
      const type = Object.hasOwn(OM_TYPES, text) ? OM_TYPES[text] : undefined;
      if (type === undefined) this.fail(`invalid metric type "${text}"`);
      entry.type = type;
      problem = this.families?.setType(name, type);
    } else {
      entry.unit = src.slice(textStart, this.lineEnd);
      problem = unitError(name, entry.unit) ?? this.families?.setUnit(name, entry.unit);
    }
    if (problem !== undefined) this.fail(problem);
    return false;
  }

  parseSample(): void {
    const src = this.src;
    const nameEnd = this.metricNameEnd();
    const labels = this.newLabels(nameEnd);
    this.pos = nameEnd;
    if (this.pos < this.lineEnd && src.charCodeAt(this.pos) === C_BRACE_OPEN) this.parseLabels(labels);
    const value = this.readNumber("value");
    let timestampSeconds: number | undefined;
    if (this.pos < this.lineEnd && !this.atExemplar()) timestampSeconds = this.readTimestampSeconds("timestamp");
    const hasExemplar = this.pos < this.lineEnd;
    if (hasExemplar && !this.atExemplar()) this.fail(`expected ' # {' (an exemplar) or end of line, got ${describe(src, this.pos)}`);
    // The family rules read the scratch label arrays, which the exemplar's labels reuse.
    if (this.families !== undefined) {
      const problem = this.families.sample(this, labels, value, timestampSeconds, hasExemplar);
      if (problem !== undefined) this.fail(problem);
    }
    if (hasExemplar) this.parseExemplar();
    this.pushSample(labels, value, timestampSeconds === undefined ? undefined : Math.trunc(timestampSeconds * 1000));
  }

  /** `{` with no blanks anywhere, commas only between labels. */
  parseLabels(labels: Record<string, string>): void {
    const src = this.src;
    this.pos++;
    if (this.pos < this.lineEnd && src.charCodeAt(this.pos) === C_BRACE_CLOSE) {
      this.pos++;
      return;
    }
    for (;;) {
      const start = this.pos;
      const name = this.readLabelName();
      if (name === undefined) this.fail(`expected label name, got ${describe(src, this.pos)}`);
      if (this.pos >= this.lineEnd || src.charCodeAt(this.pos) !== C_EQUALS) this.fail(`expected '=' after label name, got ${describe(src, this.pos)}`);
      this.pos++;
      if (this.pos >= this.lineEnd || src.charCodeAt(this.pos) !== C_QUOTE) this.fail(`expected quoted label value, got ${describe(src, this.pos)}`);
      this.addLabel(labels, name, this.readQuotedValue(false));
      this.labelSpans[2 * this.labelCount - 2] = start;
      this.labelSpans[2 * this.labelCount - 1] = this.pos;
      const c = this.pos < this.lineEnd ? src.charCodeAt(this.pos) : -1;
      this.pos++;
      if (c === C_BRACE_CLOSE) return;
      if (c !== C_COMMA) this.fail(`expected ',' or '}' after label value, got ${describe(src, this.pos - 1)}`);
    }
  }

  /** ` ` then a number up to the next blank or the end of the line. */
  readNumber(what: string): number {
    const end = this.tokenAfterSpace(what);
    const value = parseGoFloat(this.src, this.pos, end);
    if (value === undefined) this.fail(`invalid ${what} "${this.src.slice(this.pos, end)}"`);
    this.pos = end;
    return value;
  }

  readTimestampSeconds(what: string): number {
    const seconds = this.readNumber(what);
    if (!Number.isFinite(seconds)) this.fail(`invalid ${what}: ${seconds}`);
    return seconds;
  }

  /** Checks the single space at `pos` and returns the end of the non-empty token after it. */
  tokenAfterSpace(what: string): number {
    const src = this.src;
    if (this.pos >= this.lineEnd || src.charCodeAt(this.pos) !== C_SPACE) this.fail(`expected ' ' before the ${what}, got ${describe(src, this.pos)}`);
    const start = ++this.pos;
    let end = start;
    while (end < this.lineEnd && src.charCodeAt(end) !== C_SPACE) end++;
    if (end === start) this.fail(`expected ${what}, got ${describe(src, start)}`);
    return end;
  }

  atExemplar(): boolean {
    return this.src.startsWith(" # {", this.pos) && this.pos + 3 < this.lineEnd;
  }

  /** ` # {labels} value [timestamp]`: validated and dropped (Auspex does not store exemplars). */
  parseExemplar(): void {
    const metricName = this.metricName;
    if (this.families === undefined && !metricName.endsWith("_total") && !metricName.endsWith("_bucket")) {
      this.fail(`metric ${metricName} does not support exemplars`);
    }
    this.pos += 3;
    this.labelCount = 0;
    this.parseLabels({});
    if (this.families !== undefined) {
      const problem = exemplarLabelLengthError(this);
      if (problem !== undefined) this.fail(problem);
    }
    this.readNumber("exemplar value");
    if (this.pos < this.lineEnd) this.readTimestampSeconds("exemplar timestamp");
    if (this.pos < this.lineEnd) this.fail(`expected end of line after the exemplar, got ${describe(this.src, this.pos)}`);
  }
}
