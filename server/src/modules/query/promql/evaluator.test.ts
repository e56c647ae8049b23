import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { evaluateInstant, evaluateRange, planSelections } from "#server/modules/query/promql/evaluator.rules.ts";
import { createMemorySource, type MemorySource } from "#server/modules/query/promql/memory-source.ts";
import { parsePromQL } from "#server/modules/query/promql/parser.ts";
import { createPrefetchedSource } from "#server/modules/query/promql/prefetched-source.ts";
import { STALE_NAN, type Labels, type Value } from "#server/modules/query/promql/types.ts";

const s = (seconds: number): number => seconds * 1000;

function source(series: ReadonlyArray<[Labels, ReadonlyArray<[number, number]>]>): MemorySource {
  const src = createMemorySource();
  for (const [labels, samples] of series) for (const [t, v] of samples) src.add(labels, s(t), v);
  return src;
}

function vector(v: Value): Array<[Labels, number]> {
  assert.equal(v.type, "vector");
  return v.type === "vector" ? v.samples.map((x) => [x.labels, x.value]) : [];
}

function scalar(v: Value): number {
  assert.equal(v.type, "scalar");
  return v.type === "scalar" ? v.value : NaN;
}

const at = (src: MemorySource, query: string, seconds: number): Value => evaluateInstant(src, { query, time: s(seconds) });

describe("evaluator: lookback and staleness", () => {
  const src = source([[{ __name__: "m" }, [[0, 1], [10, 2], [30, 3]]]]);
  // Added on its own: array literals of doubles canonicalise NaN payloads and would lose the marker.
  src.add({ __name__: "m" }, s(20), STALE_NAN);

  it("uses a left-open 5 minute lookback", () => {
    assert.deepEqual(vector(at(src, "m", 329)), [[{ __name__: "m" }, 3]]);
    assert.deepEqual(vector(at(src, "m", 330)), []);
  });

  it("ends a series at a staleness marker", () => {
    assert.deepEqual(vector(at(src, "m", 15)), [[{ __name__: "m" }, 2]]);
    assert.deepEqual(vector(at(src, "m", 25)), []);
    assert.deepEqual(vector(at(src, "count_over_time(m[1m])", 30)), [[{}, 3]]);
  });

  it("honours a configured lookback", () => {
    const v = evaluateInstant(src, { query: "m", time: s(100) }, { lookbackDelta: s(60) });
    assert.deepEqual(vector(v), []);
  });

  it("uses left-open range windows", () => {
    const c = source([[{ __name__: "c" }, [[0, 0], [30, 1], [60, 2]]]]);
    assert.deepEqual(vector(at(c, "count_over_time(c[1m])", 60)), [[{}, 2]]);
    assert.deepEqual(vector(at(c, "count_over_time(c[1m])", 59)), [[{}, 2]]);
  });

  it("applies offset and @", () => {
    const c = source([[{ __name__: "c" }, [[0, 0], [60, 10], [120, 20]]]]);
    assert.deepEqual(vector(at(c, "c offset 1m", 120)), [[{ __name__: "c" }, 10]]);
    assert.deepEqual(vector(at(c, "c offset -1m", 60)), [[{ __name__: "c" }, 20]]);
    assert.deepEqual(vector(at(c, "c @ 60", 1000)), [[{ __name__: "c" }, 10]]);
    const r = evaluateRange(c, { query: "c @ end()", start: 0, end: s(120), step: s(60) });
    assert.deepEqual(r.series[0]?.points.map((p) => p.v), [20, 20, 20]);
  });
});

describe("evaluator: functions and operators", () => {
  const src = source([
    [{ __name__: "req_total", job: "api", code: "200" }, [[0, 0], [60, 60], [120, 120]]],
    [{ __name__: "req_total", job: "api", code: "500" }, [[0, 0], [60, 6], [120, 12]]],
    [{ __name__: "info", job: "api", version: "1.2" }, [[0, 1]]],
  ]);

  it("computes rate with extrapolation and drops __name__", () => {
    assert.deepEqual(vector(at(src, 'rate(req_total{code="200"}[2m])', 120)), [[{ job: "api", code: "200" }, 1]]);
  });

  it("aggregates by and without", () => {
    assert.deepEqual(vector(at(src, "sum by (job) (req_total)", 120)), [[{ job: "api" }, 132]]);
    assert.deepEqual(vector(at(src, "sum without (code) (req_total)", 120)), [[{ job: "api" }, 132]]);
    assert.deepEqual(vector(at(src, "topk(1, req_total)", 120)), [[{ __name__: "req_total", job: "api", code: "200" }, 120]]);
  });

  it("matches vectors with on/ignoring and copies labels with group_left", () => {
    const v = vector(at(src, "req_total * on(job) group_left(version) info", 120));
    assert.deepEqual(
      v.sort((a, b) => ((a[0].code ?? "") < (b[0].code ?? "") ? -1 : 1)),
      [
        [{ job: "api", code: "200", version: "1.2" }, 120],
        [{ job: "api", code: "500", version: "1.2" }, 12],
      ],
    );
    assert.throws(
      () => at(src, "info * on(job) req_total", 120),
      (err: unknown) => err instanceof PromQLError && err.kind === "execution" && /many-to-many matching not allowed/.test(err.message),
    );
    assert.deepEqual(vector(at(src, 'req_total{code="500"} / ignoring(code) sum by (job) (req_total)', 120)), [[{ job: "api" }, 12 / 132]]);
  });

  it("filters with comparisons and returns 0/1 with bool", () => {
    assert.deepEqual(vector(at(src, "req_total > 100", 120)), [[{ __name__: "req_total", job: "api", code: "200" }, 120]]);
    assert.equal(vector(at(src, "req_total > bool 100", 120)).length, 2);
    assert.equal(scalar(at(src, "2 > bool 1", 0)), 1);
    assert.equal(scalar(at(src, "-2 ^ 2", 0)), -4);
    assert.equal(scalar(at(src, "2 ^ 3 ^ 2", 0)), 512);
  });

  it("implements the set operators", () => {
    assert.equal(vector(at(src, 'req_total and on(code) req_total{code="500"}', 120)).length, 1);
    assert.equal(vector(at(src, 'req_total unless req_total{code="500"}', 120)).length, 1);
    assert.equal(vector(at(src, "req_total or info", 120)).length, 3);
  });

  it("computes histogram_quantile over classic buckets", () => {
    const h = source([
      [{ __name__: "lat_bucket", le: "0.1" }, [[0, 10]]],
      [{ __name__: "lat_bucket", le: "0.5" }, [[0, 20]]],
      [{ __name__: "lat_bucket", le: "1" }, [[0, 40]]],
      [{ __name__: "lat_bucket", le: "+Inf" }, [[0, 40]]],
    ]);
    assert.deepEqual(vector(at(h, "histogram_quantile(0.5, lat_bucket)", 0)), [[{}, 0.5]]);
    assert.deepEqual(vector(at(h, "histogram_quantile(0.25, lat_bucket)", 0)), [[{}, 0.1]]);
    assert.deepEqual(vector(at(h, "histogram_quantile(0.75, lat_bucket)", 0)), [[{}, 0.75]]);
    assert.deepEqual(vector(at(h, "histogram_quantile(1, lat_bucket)", 0)), [[{}, 1]]);
    const [only] = vector(at(h, 'histogram_quantile(0.5, lat_bucket{le!="+Inf"})', 0));
    assert.ok(only && Number.isNaN(only[1]));
  });

  it("evaluates label_replace, absent, vector, scalar and time", () => {
    assert.deepEqual(vector(at(src, 'label_replace(info, "v", "$1", "version", "(\\\\d+)\\\\..*")', 0)), [
      [{ __name__: "info", job: "api", version: "1.2", v: "1" }, 1],
    ]);
    assert.deepEqual(vector(at(src, 'absent(nope{job="x"})', 0)), [[{ job: "x" }, 1]]);
    assert.deepEqual(vector(at(src, "vector(time())", 42)), [[{}, 42]]);
    assert.ok(Number.isNaN(scalar(at(src, "scalar(req_total)", 120))));
  });

  it("evaluates subqueries on their step", () => {
    assert.deepEqual(vector(at(src, 'max_over_time(req_total{code="200"}[2m:1m])', 120)), [[{ job: "api", code: "200" }, 120]]);
    assert.deepEqual(vector(at(src, 'count_over_time(req_total{code="200"}[2m:30s])', 120)), [[{ job: "api", code: "200" }, 4]]);
  });
});

describe("evaluator: range queries and limits", () => {
  const src = source([[{ __name__: "g" }, [[0, 1], [60, 2], [120, 3]]]]);

  it("returns a matrix sorted by labels", () => {
    const r = evaluateRange(src, { query: "g * 2", start: 0, end: s(120), step: s(60) });
    assert.deepEqual(r.series, [{ labels: {}, points: [{ t: 0, v: 2 }, { t: 60_000, v: 4 }, { t: 120_000, v: 6 }] }]);
  });

  it("rejects more than 11,000 points per series", () => {
    assert.throws(
      () => evaluateRange(src, { query: "g", start: 0, end: s(11_001), step: s(1) }),
      (err: unknown) => err instanceof PromQLError && err.kind === "bad_data" && err.message.startsWith("exceeded maximum resolution of 11,000 points"),
    );
  });

  it("rejects queries loading too many samples", () => {
    assert.throws(
      () => evaluateInstant(src, { query: "g[10m]", time: s(120) }, { maxSamples: 2 }),
      (err: unknown) => err instanceof PromQLError && err.kind === "too_many_samples",
    );
  });

  it("stops at the deadline", () => {
    let now = 0;
    const clock = (): number => (now += 1000);
    assert.throws(
      () => evaluateRange(src, { query: "g", start: 0, end: s(10_000), step: s(1) }, { deadline: 5000, now: clock }),
      (err: unknown) => err instanceof PromQLError && err.kind === "timeout",
    );
  });

  it("rejects range-vector expressions in range queries", () => {
    assert.throws(() => evaluateRange(src, { query: "g[1m]", start: 0, end: 0, step: 1000 }), /invalid expression type "range vector"/);
  });
});

describe("planSelections", () => {
  it("lists each selector with the sample window it needs", () => {
    const plan = planSelections(parsePromQL('rate(a[5m] offset 1m) + b + max_over_time(c[10m:1m])'), s(1000), s(2000));
    assert.deepEqual(
      plan.map((p) => [p.matchers[0]?.value, p.mint, p.maxt]),
      [
        ["a", s(1000 - 60 - 300) + 1, s(2000 - 60)],
        ["b", s(1000 - 300) + 1, s(2000)],
        ["c", s(1000 - 600 - 300) + 1, s(2000)],
      ],
    );
  });
});

describe("createPrefetchedSource", () => {
  it("evaluates over selections fetched ahead from a plan", () => {
    const expr = parsePromQL('sum(rate(x{job="a"}[1m]))');
    const plan = planSelections(expr, s(60), s(60));
    const store = source([[{ __name__: "x", job: "a" }, [[0, 0], [30, 30], [60, 60]]]]);
    const prefetched = createPrefetchedSource(plan.map((p) => ({ matchers: p.matchers, series: store.select(p.matchers, p.mint, p.maxt) })));
    assert.deepEqual(vector(evaluateInstant(prefetched, { query: expr, time: s(60) })), [[{}, 1]]);
  });
});

describe("annotations", () => {
  it("reports Prometheus's info and warning annotations with positions", () => {
    const src = source([
      [{ __name__: "gauge" }, [[0, 1], [60, 2]]],
      [{ __name__: "h_bucket", le: "1" }, [[0, 5]]],
      [{ __name__: "h_bucket", le: "+Inf" }, [[0, 3]]],
    ]);
    const annotations = { warnings: [] as string[], infos: [] as string[] };
    evaluateInstant(src, { query: "rate(gauge[2m])", time: s(60) }, { annotations });
    assert.deepEqual(annotations.infos, [
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "gauge" (1:6)',
    ]);
    evaluateInstant(src, { query: "quantile(2, gauge)", time: s(60) }, { annotations });
    assert.deepEqual(annotations.warnings, ["PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)"]);
    evaluateInstant(src, { query: "histogram_quantile(0.5, h_bucket)", time: s(0) }, { annotations });
    assert.match(annotations.infos[1] ?? "", /^PromQL info: input to histogram_quantile needed to be fixed for monotonicity .* \(1:25\)$/);
    const range = { warnings: [] as string[], infos: [] as string[] };
    evaluateRange(src, { query: "sort(gauge)", start: 0, end: s(60), step: s(60) }, { annotations: range });
    assert.deepEqual(range.warnings, ["PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)"]);
  });
});
