import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExpositionError, parseExposition, type ParsedExposition } from "#server/platform/exposition/index.ts";

const TEXT = "text/plain; version=0.0.4";
const parse = (body: string): ParsedExposition => parseExposition(body, TEXT);

/** Asserts that parsing fails with an ExpositionError on `line` whose message matches `pattern`. */
function assertRejects(body: string, line: number, pattern: RegExp): void {
  assert.throws(
    () => parse(body),
    (err: unknown) => err instanceof ExpositionError && err.line === line && pattern.test(err.message) && err.message.startsWith(`line ${line}: `),
    `${JSON.stringify(body)} should fail on line ${line} with ${String(pattern)}`,
  );
}

describe("Prometheus text format 0.0.4", () => {
  it("parses every metric type with its metadata", () => {
    const result = parse(
      [
        "# HELP http_requests_total Requests served.",
        "# TYPE http_requests_total counter",
        'http_requests_total{method="get",code="200"} 1027 1395066363000',
        "# TYPE temperature gauge",
        "temperature -3.5",
        "# TYPE latency histogram",
        'latency_bucket{le="0.1"} 3',
        'latency_bucket{le="+Inf"} 5',
        "latency_sum 0.7",
        "latency_count 5",
        "# TYPE rpc summary",
        'rpc{quantile="0.5"} 0.2',
        "rpc_sum 1.5",
        "rpc_count 9",
        "# TYPE legacy untyped",
        "legacy 1",
        "",
      ].join("\n"),
    );
    assert.equal(result.format, "prometheus");
    assert.deepEqual(result.samples, [
      { labels: { __name__: "http_requests_total", method: "get", code: "200" }, value: 1027, timestampMs: 1395066363000 },
      { labels: { __name__: "temperature" }, value: -3.5 },
      { labels: { __name__: "latency_bucket", le: "0.1" }, value: 3 },
      { labels: { __name__: "latency_bucket", le: "+Inf" }, value: 5 },
      { labels: { __name__: "latency_sum" }, value: 0.7 },
      { labels: { __name__: "latency_count" }, value: 5 },
      { labels: { __name__: "rpc", quantile: "0.5" }, value: 0.2 },
      { labels: { __name__: "rpc_sum" }, value: 1.5 },
      { labels: { __name__: "rpc_count" }, value: 9 },
      { labels: { __name__: "legacy" }, value: 1 },
    ]);
    assert.deepEqual(result.metadata, [
      { name: "http_requests_total", type: "counter", help: "Requests served.", unit: "" },
      { name: "temperature", type: "gauge", help: "", unit: "" },
      { name: "latency", type: "histogram", help: "", unit: "" },
      { name: "rpc", type: "summary", help: "", unit: "" },
      { name: "legacy", type: "unknown", help: "", unit: "" },
    ]);
  });

  it("reads NaN, +Inf, -Inf and Go float syntax", () => {
    const values = parse("a NaN\nb +Inf\nc -Inf\nd 1.5e-3\ne .5\nf Infinity\n").samples.map((s) => s.value);
    assert.ok(Number.isNaN(values[0]));
    assert.deepEqual(values.slice(1), [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.0015, 0.5, Number.POSITIVE_INFINITY]);
  });

  it("unescapes \\\\, \\n and \\\" in label values and \\\\ and \\n in HELP, keeping other escapes", () => {
    const result = parse('# HELP m a\\nb \\\\ \\" \\t\nm{a="x\\"y",b="1\\\\2",c="l1\\nl2",d="\\t\\z"} 1\n');
    assert.deepEqual(result.samples[0]?.labels, { __name__: "m", a: 'x"y', b: "1\\2", c: "l1\nl2", d: "\\t\\z" });
    assert.equal(result.metadata[0]?.help, 'a\nb \\ \\" \\t');
  });

  it("is as lenient as Prometheus 2.42 with blanks, commas, comments and line ends", () => {
    const result = parse(
      [
        "",
        "  # a comment",
        "#TYPE not metadata",
        "# \tTYPE tabbed gauge",
        'tabbed { a = "1" b="2", } \t 7   ',
        "some:recording:rule{} 1",
        "no_newline 3 42",
      ].join("\n"),
    );
    assert.deepEqual(result.samples, [
      { labels: { __name__: "tabbed", a: "1", b: "2" }, value: 7 },
      { labels: { __name__: "some:recording:rule" }, value: 1 },
      { labels: { __name__: "no_newline" }, value: 3, timestampMs: 42 },
    ]);
    assert.deepEqual(result.metadata, [{ name: "tabbed", type: "gauge", help: "", unit: "" }]);
  });

  it("accepts a raw newline inside a label value, as Prometheus 2.42 does, and counts lines on", () => {
    const result = parse('a{b="one\ntwo"} 1\nc 2\n');
    assert.equal(result.samples[0]?.labels.b, "one\ntwo");
    assertRejects('a{b="one\ntwo"} 1\nc x\n', 3, /invalid value "x"/);
  });

  it("drops labels with an empty value and keeps a __proto__ label as an own property", () => {
    const labels = parse('m{a="",__proto__="p",constructor="c"} 1\n').samples[0]?.labels ?? {};
    assert.deepEqual(Object.keys(labels), ["__name__", "__proto__", "constructor"]);
    assert.equal(Object.getOwnPropertyDescriptor(labels, "__proto__")?.value, "p");
    assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  });

  it("takes timestamps as integer milliseconds, digits only, within int64", () => {
    // The largest int64 is accepted (as the nearest double).
    assert.equal(parse("a 1 9223372036854775807\n").samples[0]?.timestampMs, 2 ** 63);
    assertRejects("a 1 9223372036854775808\n", 1, /out of range/);
    assertRejects("ok 1\na 1 -5\n", 2, /expected timestamp/);
    assertRejects("a 1 1.5\n", 1, /expected end of line after timestamp/);
    assertRejects("a 1 2 3\n", 1, /expected end of line after timestamp/);
  });

  it("rejects malformed lines with the line number", () => {
    assertRejects("a 1\n\nb\n", 3, /expected value after metric/);
    assertRejects("a 1\n{a=\"b\"} 1\n", 2, /expected a metric name or '#'/);
    assertRejects("a{b='c'} 1\n", 1, /expected quoted label value/);
    assertRejects('a{b="c"\n', 1, /expected label name/);
    assertRejects('a{b="c} 1', 1, /unterminated label value/);
    assertRejects('a{1="c"} 1\n', 1, /expected label name/);
    assertRejects('a{b="1",b="2"} 1\n', 1, /duplicate label name "b"/);
    assertRejects('a{__name__="x"} 1\n', 1, /duplicate label name "__name__"/);
    assertRejects("a 0x1\n", 1, /invalid value "0x1"/);
    assertRejects("a 1\r\n", 1, /invalid value/);
    assertRejects("# TYPE a gaugehistogram\n", 1, /invalid metric type "gaugehistogram"/);
    assertRejects("# TYPE a  gauge\n", 1, /invalid metric type " gauge"/);
    assertRejects("a 1\n# HELP #\n", 2, /expected metric name after HELP/);
    assert.equal(parse("# HELP\n# TYPEx\n").samples.length, 0, "HELP/TYPE not followed by a blank are comments");
  });
});
