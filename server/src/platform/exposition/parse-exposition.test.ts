import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExpositionError, parseExposition, type ExpositionLimits, type ParseExpositionOptions } from "#server/platform/exposition/index.ts";

const TEXT = "text/plain; version=0.0.4";
const OM = "application/openmetrics-text; version=1.0.0";

function assertRejects(body: string | Uint8Array, contentType: string, options: ParseExpositionOptions, line: number, pattern: RegExp, limit?: keyof ExpositionLimits): void {
  assert.throws(
    () => parseExposition(body, contentType, options),
    (err: unknown) => err instanceof ExpositionError && err.line === line && pattern.test(err.message) && err.limit === limit,
    `should fail on line ${line} with ${String(pattern)}${limit === undefined ? "" : ` (limit ${limit})`}`,
  );
}

describe("parseExposition", () => {
  it("chooses the parser from the Content-Type", () => {
    // Valid text format, but not OpenMetrics (no # EOF).
    assert.equal(parseExposition("a 1\n", TEXT).format, "prometheus");
    assert.equal(parseExposition("a 1\n", undefined).format, "prometheus");
    assert.equal(parseExposition("a 1\n", "application/json").format, "prometheus");
    assertRejects("a 1\n", OM, {}, 2, /missing # EOF/);
    assert.equal(parseExposition("a 1\n# EOF\n", OM).format, "openmetrics");
  });

  it("validates OpenMetrics strictly unless asked to behave like Prometheus", () => {
    const body = "# TYPE a counter\na_total -1\n# EOF\n";
    assertRejects(body, OM, {}, 2, /cannot be negative/);
    assert.equal(parseExposition(body, OM, { openMetricsValidation: "prometheus" }).samples[0]?.value, -1);
  });

  it("decodes UTF-8 bytes and refuses invalid UTF-8 with the line it is on", () => {
    const bytes = new TextEncoder().encode('a{city="Zürich"} 1\n');
    assert.equal(parseExposition(bytes, TEXT).samples[0]?.labels.city, "Zürich");
    const invalid = Uint8Array.from([...new TextEncoder().encode('a 1\nb{x="'), 0xff, ...new TextEncoder().encode('"} 1\n')]);
    assertRejects(invalid, TEXT, {}, 2, /invalid UTF-8/);
    const overlong = Uint8Array.from([...new TextEncoder().encode("a 1\n\n# "), 0xc0, 0xaf, 0x0a]);
    assertRejects(overlong, TEXT, {}, 3, /invalid UTF-8/);
    assertRejects('a 1\nb{x="\ud800"} 1\n', TEXT, {}, 2, /lone surrogate/);
  });

  it("refuses a byte order mark, as Prometheus does", () => {
    assertRejects(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61, 0x20, 0x31, 0x0a]), TEXT, {}, 1, /expected a metric name/);
  });

  it("enforces maxSamples before storing one sample too many", () => {
    const body = "a 1\nb 2\nc 3\n";
    assert.equal(parseExposition(body, TEXT, { maxSamples: 3 }).samples.length, 3);
    assertRejects(body, TEXT, { maxSamples: 2 }, 3, /more than maxSamples \(2\)/, "maxSamples");
    assertRejects("a 1\nb 2\n# EOF\n", OM, { maxSamples: 1 }, 2, /maxSamples/, "maxSamples");
  });

  it("enforces label name, label value, metric name and label count limits", () => {
    assertRejects('m{abcde="1"} 1\n', TEXT, { maxLabelNameLength: 4 }, 1, /label name longer than maxLabelNameLength \(4\)/, "maxLabelNameLength");
    assert.equal(parseExposition('m{abcd="1"} 1\n', TEXT, { maxLabelNameLength: 4 }).samples.length, 1);
    assertRejects('m{a="12345"} 1\n', TEXT, { maxLabelValueLength: 4 }, 1, /label value longer than maxLabelValueLength \(4\)/, "maxLabelValueLength");
    assertRejects('m{a="12345"} 1\n# EOF\n', OM, { maxLabelValueLength: 4 }, 1, /maxLabelValueLength/, "maxLabelValueLength");
    assertRejects("metric 1\n", TEXT, { maxLabelValueLength: 4 }, 1, /maxLabelValueLength/, "maxLabelValueLength");
    assertRejects('m{a="1",b="2",c="3"} 1\n', TEXT, { maxLabelsPerSeries: 3 }, 1, /more than maxLabelsPerSeries \(3\)/, "maxLabelsPerSeries");
    // __name__ counts as one of the labels.
    assert.equal(parseExposition('m{a="1",b="2"} 1\n', TEXT, { maxLabelsPerSeries: 3 }).samples.length, 1);
  });

  it("enforces maxMetricFamilies on metadata, which needs no samples", () => {
    const body = "# HELP a x\n# TYPE a gauge\n# HELP b x\n# HELP c x\n";
    assert.equal(parseExposition(body, TEXT, { maxMetricFamilies: 3 }).metadata.length, 3);
    assertRejects(body, TEXT, { maxMetricFamilies: 2 }, 4, /metadata for more than maxMetricFamilies \(2\)/, "maxMetricFamilies");
    assertRejects("# TYPE a gauge\n# TYPE b gauge\n# EOF\n", OM, { maxMetricFamilies: 1 }, 2, /maxMetricFamilies/, "maxMetricFamilies");
  });

  it("refuses a line longer than maxLineLength before parsing it", () => {
    const long = `m{a="${"x".repeat(100)}"} 1\n`;
    assertRejects(`ok 1\n${long}`, TEXT, { maxLineLength: 64 }, 2, /line longer than maxLineLength \(64 characters\)/, "maxLineLength");
    assertRejects(`# HELP m ${"x".repeat(100)}\n# EOF\n`, OM, { maxLineLength: 64 }, 1, /maxLineLength/, "maxLineLength");
    // A text-format label value spanning lines counts as one line.
    assertRejects(`m{a="${"x\n".repeat(40)}"} 1\n`, TEXT, { maxLineLength: 64 }, 31, /maxLineLength/, "maxLineLength");
    assert.equal(parseExposition(long, TEXT, { maxLineLength: 200 }).samples.length, 1);
  });
});
