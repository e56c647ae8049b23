import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { enforceMatchers, formatDuration, formatExpr } from "#server/modules/query/promql/format.ts";
import { parsePromQL } from "#server/modules/query/promql/parser.ts";

describe("formatExpr", () => {
  it("prints PromQL that parses back to the same query", () => {
    const cases = [
      'sum by (job) (rate(http_requests_total{code=~"5..", "utf8.label"="x"}[5m] offset -1m @ start()))',
      "a / on(instance) group_left(version) b > bool 1",
      "max_over_time(deriv(x[5m])[1h:5m] @ 100.000)",
      'count_values("v", {"metric.with.dots"})',
      "(-2) ^ 2",
      "-2 ^ 2",
      "topk without (a) (3, x) unless ignoring(b) y",
    ];
    for (const q of cases) {
      const strip = (s: string): string => JSON.stringify(parsePromQL(s), (k, v: unknown) => (k === "pos" ? undefined : v));
      assert.equal(strip(formatExpr(parsePromQL(q))), strip(q), q);
    }
    assert.equal(formatExpr(parsePromQL("foo{a='b'}[90s]")), 'foo{a="b"}[1m30s]');
  });

  it("formats durations", () => {
    assert.equal(formatDuration(5_400_000), "1h30m");
    assert.equal(formatDuration(-300_000), "-5m");
    assert.equal(formatDuration(1500), "1s500ms");
  });
});

describe("enforceMatchers", () => {
  it("adds the enforced matchers to every selector", () => {
    const enforced = [{ type: "=", name: "user", value: "u1" }] as const;
    const e = enforceMatchers(parsePromQL('sum(rate(a[5m])) / on() b{user="other"}'), enforced);
    assert.equal(formatExpr(e), 'sum (rate(a{user="u1"}[5m])) / on() b{user="other", user="u1"}');
    const sq = enforceMatchers(parsePromQL("max_over_time(c[5m:1m] offset 1m)"), enforced);
    assert.equal(formatExpr(sq), 'max_over_time(c{user="u1"}[5m:1m] offset 1m)');
  });
});
