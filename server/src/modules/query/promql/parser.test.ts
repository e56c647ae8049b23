import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BinaryExpr, Expr } from "#server/modules/query/promql/ast.ts";
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { compileRegex, parseDuration, parsePromQL, typeOf } from "#server/modules/query/promql/parser.ts";

function parseError(query: string): PromQLError {
  try {
    parsePromQL(query);
  } catch (err) {
    assert.ok(err instanceof PromQLError, `expected PromQLError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${query} to fail`);
}

describe("parsePromQL", () => {
  it("converts a vector selector with every matcher type, offset and @", () => {
    const e = parsePromQL('http_requests_total{job="api", code!="500", path=~"/a.*", method!~"GET|HEAD"} offset -5m @ 100');
    assert.deepEqual(e, {
      type: "vectorSelector",
      name: "http_requests_total",
      matchers: [
        { type: "=", name: "__name__", value: "http_requests_total" },
        { type: "=", name: "job", value: "api" },
        { type: "!=", name: "code", value: "500" },
        { type: "=~", name: "path", value: "/a.*" },
        { type: "!~", name: "method", value: "GET|HEAD" },
      ],
      offset: -300_000,
      at: { kind: "time", ms: 100_000 },
      pos: 0,
    });
  });

  it("converts matrix selectors and subqueries with their modifiers", () => {
    const m = parsePromQL("rate(foo[1h30m] offset 1m @ start())");
    assert.equal(m.type, "call");
    const arg = m.type === "call" ? m.args[0] : undefined;
    assert.equal(arg?.type, "matrixSelector");
    if (arg?.type === "matrixSelector") {
      assert.equal(arg.range, 5_400_000);
      assert.equal(arg.selector.offset, 60_000);
      assert.deepEqual(arg.selector.at, { kind: "start" });
    }
    const s = parsePromQL("max_over_time(rate(foo[5m])[30m:1m] offset 10m @ end())");
    const sq = s.type === "call" ? s.args[0] : undefined;
    assert.equal(sq?.type, "subquery");
    if (sq?.type === "subquery") {
      assert.equal(sq.range, 1_800_000);
      assert.equal(sq.step, 60_000);
      assert.equal(sq.offset, 600_000);
      assert.deepEqual(sq.at, { kind: "end" });
    }
    const d = parsePromQL("foo[5m:]");
    assert.equal(d.type === "subquery" ? d.step : "x", undefined);
  });

  it("keeps operator precedence and right-associative ^", () => {
    const e = parsePromQL("1 + 2 * 3") as BinaryExpr;
    assert.equal(e.op, "+");
    assert.equal((e.rhs as BinaryExpr).op, "*");
    const p = parsePromQL("2 ^ 3 ^ 2") as BinaryExpr;
    assert.equal(p.op, "^");
    assert.equal(p.lhs.type, "number");
    assert.equal((p.rhs as BinaryExpr).op, "^");
    const u = parsePromQL("-2 ^ 2");
    assert.equal(u.type, "unary");
    assert.equal(u.type === "unary" && u.expr.type === "binary" ? u.expr.op : "", "^");
  });

  it("binds offset and @ to the nearest operand", () => {
    const e = parsePromQL("a offset 1m or b offset 2m") as BinaryExpr;
    assert.equal(e.lhs.type === "vectorSelector" ? e.lhs.offset : 0, 60_000);
    assert.equal(e.rhs.type === "vectorSelector" ? e.rhs.offset : 0, 120_000);
  });

  it("reads bool, on/ignoring and group_left/group_right", () => {
    const e = parsePromQL("a > bool on(job, instance) group_left(version) b") as BinaryExpr;
    assert.equal(e.returnBool, true);
    assert.deepEqual(e.matching, { card: "many-to-one", on: true, labels: ["job", "instance"], include: ["version"] });
    const r = parsePromQL("a / ignoring(code) group_right b") as BinaryExpr;
    assert.deepEqual(r.matching, { card: "one-to-many", on: false, labels: ["code"], include: [] });
    const s = parsePromQL("a and b") as BinaryExpr;
    assert.equal(s.matching?.card, "many-to-many");
  });

  it("reads aggregations with by/without before or after and their parameter", () => {
    const a = parsePromQL("sum by (job) (x)");
    const b = parsePromQL("sum(x) by (job)");
    assert.equal(a.type === "aggregate" && b.type === "aggregate" && a.grouping.join() === b.grouping.join(), true);
    assert.deepEqual(a.type === "aggregate" ? a.grouping : [], ["job"]);
    const t = parsePromQL("topk without (instance) (3, x)");
    assert.equal(t.type === "aggregate" && t.without, true);
    assert.equal(t.type === "aggregate" ? t.param?.type : undefined, "number");
    const c = parsePromQL('count_values("value", x)');
    assert.equal(c.type === "aggregate" ? c.param?.type : undefined, "string");
  });

  it("reads literals: hex, Inf, NaN, durations as seconds, trailing dots, escapes", () => {
    const num = (q: string): number => {
      const e: Expr = parsePromQL(q);
      assert.equal(e.type, "number");
      return e.type === "number" ? e.value : NaN;
    };
    assert.equal(num("0x1F"), 31);
    assert.equal(num("Inf"), Infinity);
    assert.equal(num("-Inf"), -Infinity);
    assert.ok(Number.isNaN(num("NaN")));
    assert.equal(num("1.5e3"), 1500);
    assert.equal(num("2."), 2);
    assert.equal(num("1m"), 60);
    const s = parsePromQL('"a\\tb\\u00e9"');
    assert.deepEqual(s.type === "string" ? s.value : "", "a\tb\u00e9");
    assert.equal(parsePromQL("`raw\\n`").type === "string" ? (parsePromQL("`raw\\n`") as { value: string }).value : "", "raw\\n");
  });

  it("type-checks like Prometheus", () => {
    assert.equal(typeOf(parsePromQL("rate(x[5m])")), "vector");
    assert.equal(typeOf(parsePromQL("x[5m]")), "matrix");
    assert.equal(typeOf(parsePromQL("scalar(x) + 1")), "scalar");
    assert.match(parseError("rate(foo)").message, /expected type range vector in call to function "rate", got instant vector/);
    assert.match(parseError("foo[5m] + 1").message, /binary expression must contain only scalar and instant vector types/);
    assert.match(parseError("1 > 2").message, /comparisons between scalars must use BOOL modifier/);
    assert.match(parseError("sum(x[5m])").message, /expected type instant vector in aggregation expression, got range vector/);
    assert.match(parseError("abs(x, y)").message, /expected 1 argument\(s\) in call to "abs", got 2/);
    assert.match(parseError("label_join(x)").message, /expected at least 3 argument\(s\)/);
    assert.match(parseError("{}").message, /vector selector must contain at least one non-empty matcher/);
    assert.match(parseError('{job=~".*"}').message, /at least one non-empty matcher/);
    assert.match(parseError("x and 1").message, /set operator "and" not allowed in binary scalar expression/);
    assert.match(parseError("sum(x) offset 5m").message, /offset modifier must be preceded by/);
  });

  it("reports syntax errors with a message and a position", () => {
    const e = parseError("sum(rate(foo[5m])");
    assert.equal(e.kind, "bad_data");
    assert.equal(e.message, "parse error at char 18: unclosed left parenthesis");
    assert.equal(parseError("x +").message, "parse error at char 4: unexpected end of input");
    assert.equal(parseError('foo{a="b"').message, "parse error at char 10: unexpected end of input inside braces");
    assert.equal(parseError("sum by job (x)").message, 'parse error at char 8: unexpected identifier "job"');
    assert.equal(parseError('"open').message, "parse error at char 1: unterminated quoted string");
    const u = parseError("foo(bar)");
    assert.equal(u.message, 'parse error at char 1: unknown function with name "foo"');
    assert.equal(u.position, 0);
    const multi = parseError("sum(\n  foo) by (a) )");
    assert.equal(multi.line, 2);
    assert.match(multi.message, /^parse error at line 2, char \d+: /);
    assert.match(parseError("").message, /no expression found in input/);
    assert.match(parseError('foo{a=~"("}').message, /error parsing regexp/);
  });
});

describe("parseDuration", () => {
  it("reads combined units", () => {
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("1y2w3d"), (365 + 14 + 3) * 86_400_000);
    assert.equal(parseDuration("5x"), undefined);
  });
});

describe("compileRegex", () => {
  it("anchors fully and supports RE2 inline flags", () => {
    assert.equal(compileRegex("foo").test("foobar"), false);
    assert.equal(compileRegex("foo|bar").test("bar"), true);
    assert.equal(compileRegex("(?i)prod.*").test("PRODUCTION"), true);
    assert.equal(compileRegex("((?i)pro).*").test("PROduction"), true);
    assert.equal(compileRegex("((?i)pro)D").test("PROd"), false);
    assert.equal(compileRegex("a.c").test("a\nc"), true);
    assert.equal(compileRegex("[[:digit:]]+x").test("42x"), true);
    assert.equal(compileRegex("[[:alpha:]_]+").test("a_b"), true);
    assert.equal(compileRegex("[[:alpha:]]").test("1"), false);
  });
});
