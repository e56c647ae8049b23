import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isStaleNaN } from "#server/modules/query/promql/index.ts";
import { almostEqual, expandValues, parseSeriesLine, parseTestTime, runTestScript } from "#test/conformance/promqltest.ts";

describe("promqltest format helpers", () => {
  it("expands the series value notation", () => {
    assert.deepEqual(expandValues("1+2x3"), [1, 3, 5, 7]);
    assert.deepEqual(expandValues("-1-1x2"), [-1, -2, -3]);
    assert.deepEqual(expandValues("5x2"), [5, 5, 5]);
    assert.deepEqual(expandValues("_x3"), [undefined, undefined, undefined]);
    assert.deepEqual(expandValues("_"), [undefined]);
    assert.deepEqual(expandValues("1e3+1e-1x1"), [1000, 1000.1]);
    assert.deepEqual(expandValues("Inf"), [Infinity]);
  });

  it("parses series lines and times", () => {
    assert.deepEqual(parseSeriesLine('foo{a="b", "c.d"="e"} 1 2'), { labels: { __name__: "foo", a: "b", "c.d": "e" }, rest: "1 2" });
    assert.deepEqual(parseSeriesLine("{} 3"), { labels: {}, rest: "3" });
    assert.deepEqual(parseSeriesLine('{"dotted.name", x="y"} 1'), { labels: { __name__: "dotted.name", x: "y" }, rest: "1" });
    assert.equal(parseTestTime("1h30m"), 5_400_000);
    assert.equal(parseTestTime("100"), 100_000);
    assert.equal(parseTestTime("-5m"), -300_000);
  });

  it("compares floats like Prometheus", () => {
    assert.ok(almostEqual(1, 1 + 1e-9));
    assert.ok(!almostEqual(1, 1.001));
    assert.ok(almostEqual(NaN, NaN));
    assert.ok(!almostEqual(0, 1e-300));
  });

  it("runs a script with load, eval, stale and expected failures", () => {
    const outcomes = runTestScript(
      [
        "load 10s",
        "  m{a=\"x\"} 0 1 stale 3",
        "",
        "eval instant at 10s m",
        '  m{a="x"} 1',
        "",
        "eval instant at 20s m",
        "",
        "eval range from 0 to 30s step 10s m * 2",
        '  {a="x"} 0 2 _ 6',
        "",
        "eval instant at 0s rate(m)",
        "  expect fail",
        "",
        "eval instant at 0s 1 + 1",
        "  2",
      ].join("\n"),
    );
    assert.deepEqual(
      outcomes.map((o) => [o.line, o.passed, o.message]),
      [
        [4, true, undefined],
        [7, true, undefined],
        [9, true, undefined],
        [12, true, undefined],
        [15, true, undefined],
      ],
    );
    assert.ok(isStaleNaN(Number.NaN) === false);
  });
});
