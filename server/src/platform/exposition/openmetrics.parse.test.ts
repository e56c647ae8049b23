import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExpositionError, parseExposition, type OpenMetricsValidation, type ParsedExposition } from "#server/platform/exposition/index.ts";

const OM = "application/openmetrics-text; version=1.0.0";
const parse = (body: string, validation: OpenMetricsValidation = "strict"): ParsedExposition => parseExposition(body, OM, { openMetricsValidation: validation });
const om = (...lines: string[]): string => `${[...lines, "# EOF"].join("\n")}\n`;

function assertRejects(body: string, line: number, pattern: RegExp, validation: OpenMetricsValidation = "strict"): void {
  assert.throws(
    () => parse(body, validation),
    (err: unknown) => err instanceof ExpositionError && err.line === line && pattern.test(err.message),
    `${JSON.stringify(body)} should fail (${validation}) on line ${line} with ${String(pattern)}`,
  );
}

describe("OpenMetrics 1.0", () => {
  it("parses every metric type with HELP, TYPE and UNIT", () => {
    const result = parse(
      om(
        "# TYPE requests counter",
        "# HELP requests Requests \\\"served\\\".",
        "requests_total 10",
        "requests_created 1600000000.5",
        "# TYPE temp_celsius gauge",
        "# UNIT temp_celsius celsius",
        "temp_celsius -2.5",
        "# TYPE latency_seconds histogram",
        'latency_seconds_bucket{le="0.1"} 1',
        'latency_seconds_bucket{le="+Inf"} 2',
        "latency_seconds_count 2",
        "latency_seconds_sum 0.3",
        "# TYPE queue gaugehistogram",
        'queue_bucket{le="-1"} 1',
        'queue_bucket{le="+Inf"} 4',
        "queue_gcount 4",
        "queue_gsum -2",
        "# TYPE rpc summary",
        'rpc{quantile="0.5"} 0.2',
        "rpc_count 3",
        "rpc_sum 0.9",
        "# TYPE state stateset",
        'state{state="on"} 1',
        'state{state="off"} 0',
        "# TYPE build info",
        'build_info{version="1.2"} 1',
        "# TYPE other unknown",
        "other 7",
      ),
    );
    assert.equal(result.format, "openmetrics");
    assert.deepEqual(
      result.samples.map((s) => [s.labels.__name__, s.value]),
      [
        ["requests_total", 10],
        ["requests_created", 1600000000.5],
        ["temp_celsius", -2.5],
        ["latency_seconds_bucket", 1],
        ["latency_seconds_bucket", 2],
        ["latency_seconds_count", 2],
        ["latency_seconds_sum", 0.3],
        ["queue_bucket", 1],
        ["queue_bucket", 4],
        ["queue_gcount", 4],
        ["queue_gsum", -2],
        ["rpc", 0.2],
        ["rpc_count", 3],
        ["rpc_sum", 0.9],
        ["state", 1],
        ["state", 0],
        ["build_info", 1],
        ["other", 7],
      ],
    );
    assert.deepEqual(result.samples[11]?.labels, { __name__: "rpc", quantile: "0.5" });
    assert.deepEqual(result.metadata, [
      { name: "requests", type: "counter", help: 'Requests "served".', unit: "" },
      { name: "temp_celsius", type: "gauge", help: "", unit: "celsius" },
      { name: "latency_seconds", type: "histogram", help: "", unit: "" },
      { name: "queue", type: "gaugehistogram", help: "", unit: "" },
      { name: "rpc", type: "summary", help: "", unit: "" },
      { name: "state", type: "stateset", help: "", unit: "" },
      { name: "build", type: "info", help: "", unit: "" },
      { name: "other", type: "unknown", help: "", unit: "" },
    ]);
  });

  it("turns timestamps in seconds into milliseconds, truncated as Prometheus does", () => {
    const samples = parse(om("a 1 1.5", "b 1 -1.5", "c 1 1520879607.789", "d 1 1e3", "e 2")).samples;
    assert.deepEqual(
      samples.map((s) => s.timestampMs),
      [1500, -1500, Math.trunc(1520879607.789 * 1000), 1_000_000, undefined],
    );
  });

  it("reads NaN and infinities, and escapes in label values", () => {
    const samples = parse(om('a{x="q\\"\\\\\\n\\z"} NaN', "b +Inf", "c -Inf")).samples;
    assert.ok(Number.isNaN(samples[0]?.value));
    assert.equal(samples[0]?.labels.x, 'q"\\\n\\z');
    assert.deepEqual([samples[1]?.value, samples[2]?.value], [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  });

  it("validates exemplars and drops them", () => {
    const body = om("# TYPE a counter", 'a_total 3 1 # {trace_id="abc"} 0.5 1.25', "# TYPE h histogram", 'h_bucket{le="+Inf"} 1 # {} 1');
    assert.deepEqual(parse(body).samples, [
      { labels: { __name__: "a_total" }, value: 3, timestampMs: 1000 },
      { labels: { __name__: "h_bucket", le: "+Inf" }, value: 1 },
    ]);
    assertRejects(om("# TYPE a counter", "a_total 3 # {id=1} 0.5"), 2, /expected quoted label value/);
    assertRejects(om("# TYPE a counter", 'a_total 3 # {id="1"} 0.5 NaN'), 2, /invalid exemplar timestamp/);
    assertRejects(om("# TYPE a counter", 'a_total 3 # {id="1"} 0.5 1 2'), 2, /end of line after the exemplar/);
    assertRejects(om("# TYPE a counter", `a_total 3 # {id="${"x".repeat(127)}"} 1`), 2, /exemplar labels have 129 characters/);
    assertRejects(om("# TYPE a gauge", 'a 3 # {id="1"} 1'), 2, /exemplar on a: only counter _total and histogram _bucket/);
    // Prometheus 2.42 only looks at the sample name's suffix.
    assert.equal(parse(om("# TYPE a_total gauge", 'a_total 3 # {id="1"} 1'), "prometheus").samples.length, 1);
    assertRejects(om("# TYPE a gauge", 'a 3 # {id="1"} 1'), 2, /metric a does not support exemplars/, "prometheus");
  });

  it("requires # EOF at the end and nothing after it", () => {
    assert.equal(parse("a 1\n# EOF").samples.length, 1);
    assertRejects("a 1\n", 2, /missing # EOF/);
    assertRejects("", 1, /missing # EOF/);
    assertRejects("# EOF\n\n", 2, /unexpected data after # EOF/);
    assertRejects("a 1\n# EOF\nb 2\n", 3, /unexpected data after # EOF/);
    assertRejects("# EOF junk\n", 1, /expected HELP, TYPE, UNIT or EOF/);
  });

  it("keeps the line grammar strict in both validation modes", () => {
    for (const validation of ["strict", "prometheus"] as const) {
      assertRejects(om("a 1", "", "b 1"), 2, /blank line/, validation);
      assertRejects(om("a  1"), 1, /expected value/, validation);
      assertRejects(om(" a 1"), 1, /expected a metric name/, validation);
      assertRejects(om("a 1 "), 1, /expected timestamp/, validation);
      assertRejects(om('a{b="1",} 1'), 1, /expected label name/, validation);
      assertRejects(om('a{b="1" c="2"} 1'), 1, /expected ',' or '}'/, validation);
      assertRejects(om('a{b="1"}1'), 1, /expected ' ' before the value/, validation);
      assertRejects(om("# a comment"), 1, /expected HELP, TYPE, UNIT or EOF/, validation);
      assertRejects(om("# TYPE a untyped"), 1, /invalid metric type "untyped"/, validation);
      assertRejects(om("# HELP a"), 1, /expected ' ' and text/, validation);
      assertRejects(om("# UNIT a seconds"), 1, /unit "seconds" is not a suffix of metric "a"/, validation);
      assertRejects(om('a{b="x",b="y"} 1'), 1, /duplicate label name "b"/, validation);
      assertRejects(om("a 1 NaN"), 1, /invalid timestamp/, validation);
      assertRejects(om('a{b="new\nline"} 1'), 1, /unterminated label value/, validation);
    }
  });

  it("applies the metric-family rules in strict mode only, where Prometheus 2.42 does not", () => {
    const cases: Array<[string, number, RegExp]> = [
      [om("# TYPE a counter", "a_total -1"), 2, /counter-like and cannot be negative/],
      [om("# TYPE a counter", "a_total NaN"), 2, /counter-like and cannot be NaN/],
      [om("# TYPE a counter", "a 1"), 2, /metric family a appears again/],
      [om("# TYPE a histogram", 'a_bucket{le="2"} 0', 'a_bucket{le="1"} 0', 'a_bucket{le="+Inf"} 0'), 3, /buckets out of order/],
      [om("# TYPE a histogram", 'a_bucket{le="1"} 2', 'a_bucket{le="+Inf"} 1'), 3, /bucket counts decrease/],
      [om("# TYPE a histogram", 'a_bucket{le="1"} 0', "a_sum 0", "a_count 0"), 5, /the \+Inf bucket is missing/],
      [om("# TYPE a histogram", 'a_bucket{le="+Inf"} 2', "a_count 1", "a_sum 1"), 5, /count 1 differs from the \+Inf bucket 2/],
      [om("# TYPE a histogram", 'a_bucket{le="+INF"} 0'), 2, /needs a numeric "le" label/],
      [om("# TYPE a histogram", 'a_bucket{le="+Inf"} 1.5'), 2, /non-integer value/],
      [om("# TYPE a gauge", "a 1", "# HELP a late"), 3, /HELP for a after its samples/],
      [om("# TYPE a gauge", "# TYPE a gauge"), 2, /second TYPE for a/],
      [om("# TYPE a gauge", "a 1", "# TYPE b gauge", "b 1", "a 2"), 5, /metric family a appears again/],
      [om("# TYPE a_created gauge", "# TYPE a counter"), 2, /metric family a \(counter\) clashes with an earlier family over the name a_created/],
      [om("# TYPE a gauge", 'a{x="1"} 1', 'a{x="2"} 1', 'a{x="1"} 2'), 4, /not contiguous/],
      [om("# TYPE a gauge", "a 1 2", "a 1 1"), 3, /timestamps go backwards/],
      [om("# TYPE a gauge", "a 1", "a 1 1"), 3, /mixes samples with and without timestamps/],
      [om("# TYPE a summary", 'a{quantile="1.5"} 1'), 2, /"quantile" label between 0 and 1/],
      [om("# TYPE a summary", 'a{quantile="0.5"} -1'), 2, /negative value/],
      [om("# TYPE a stateset", "a 1"), 2, /has no "a" label/],
      [om("# TYPE a stateset", 'a{a="x"} 2'), 2, /not 0 or 1/],
      [om("# TYPE a info", 'a_info{x="1"} 2'), 2, /not 1/],
      [om("# TYPE a_u info", "# UNIT a_u u"), 3, /info a_u cannot have a UNIT/],
    ];
    for (const [body, line, pattern] of cases) {
      assertRejects(body, line, pattern);
      assert.doesNotThrow(() => parse(body, "prometheus"), `${JSON.stringify(body)} should pass in prometheus mode`);
    }
  });

  it("accepts label groups in any label order and repeated timestamps of one series", () => {
    const body = om(
      "# TYPE a histogram",
      'a_bucket{x="1",le="1"} 0',
      'a_bucket{le="+Inf",x="1"} 1',
      'a_count{x="1"} 1',
      'a_sum{x="1"} 0.5',
      "# TYPE g gauge",
      'g{x="1"} 1 0.0000000000',
      'g{x="1"} 2 0.0000000001',
    );
    assert.equal(parse(body).samples.length, 6);
  });
});
