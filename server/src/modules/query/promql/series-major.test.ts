import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PromQLError } from "#server/modules/query/promql/errors.ts";
import { Evaluator, evaluateRange, type Annotations } from "#server/modules/query/promql/evaluator.rules.ts";
import { labelsKey } from "#server/modules/query/promql/labels.ts";
import { createMemorySource, type MemorySource } from "#server/modules/query/promql/memory-source.ts";
import { parsePromQL } from "#server/modules/query/promql/parser.ts";
import { evaluateSeriesMajor } from "#server/modules/query/promql/series-major.rules.ts";
import { STALE_NAN, type MatrixValue } from "#server/modules/query/promql/types.ts";
import { seededRandom } from "#test/support/random.ts";

/*
 * The series-major pass must give exactly what stepping gives. Data with the awkward cases:
 * counter resets, staleness markers, gaps longer than the lookback, NaN and ±Inf values, jittered
 * timestamps, two metrics whose label sets collide once `__name__` is dropped.
 */
function awkwardSource(): MemorySource {
  const rand = seededRandom(42);
  const src = createMemorySource();
  for (let host = 0; host < 4; host++) {
    for (const mode of ["user", "idle", "steal"]) {
      const labels = { __name__: "cpu_seconds_total", instance: `h${host}`, mode };
      let v = host * 100;
      for (let t = 0; t < 3_600_000; t += 15_000) {
        if (rand() < 0.05) continue; // missed scrape
        if (host === 1 && t > 1_200_000 && t < 1_800_000) continue; // longer than the lookback
        v = rand() < 0.01 ? rand() * 5 : v + rand() * 10; // occasional counter reset
        src.add(labels, t + Math.floor(rand() * 400), v);
      }
      if (host === 2) src.add(labels, 2_400_000 + 7_000, STALE_NAN);
    }
    const gauge = { __name__: "load", instance: `h${host}` };
    for (let t = 0; t < 3_600_000; t += 30_000) {
      const r = rand();
      src.add(gauge, t, r < 0.02 ? NaN : r < 0.03 ? Infinity : r * 4);
    }
  }
  // Same labels as `load` without the name: rate() over both would collide.
  for (let t = 0; t < 3_600_000; t += 60_000) src.add({ __name__: "load_copy", instance: "h0" }, t, t / 1000);
  return src;
}

const QUERIES = [
  "sum by (instance) (rate(cpu_seconds_total[5m]))",
  "sum without (mode) (irate(cpu_seconds_total[1m]))",
  "rate(cpu_seconds_total[5m] offset 2m)",
  "increase(cpu_seconds_total[10m])",
  "avg(delta(load[5m]))",
  "max by (mode) (deriv(cpu_seconds_total[5m]))",
  "min(resets(cpu_seconds_total[30m]))",
  "count by (instance) (changes(load[10m]))",
  "stddev(avg_over_time(load[5m]))",
  "stdvar by (instance) (sum_over_time(load[2m]))",
  "group by (mode) (count_over_time(cpu_seconds_total[3m]))",
  "max_over_time(load[5m])",
  "min_over_time(load[5m])",
  "last_over_time(cpu_seconds_total[1m])",
  "present_over_time(load[1m])",
  "stddev_over_time(load[5m])",
  "cpu_seconds_total",
  "sum by (instance) (cpu_seconds_total offset 1m)",
  "avg(load)",
  "sum(sum by (instance) (rate(cpu_seconds_total[5m])))",
  "(sum by (instance) ((rate((cpu_seconds_total[5m])))))",
  "rate({__name__=~\"load.*\"}[5m])",
  "sum by (instance) (rate({__name__=~\"load.*\"}[5m]))",
  "sum by (instance) (rate(cpu_seconds_total[5m])) / on (instance) group_left count by (instance) (cpu_seconds_total)",
  "topk(2, rate(cpu_seconds_total[5m]))",
  "rate(load[5m])",
  "timestamp(load) - avg_over_time(load[1m])",
  "max_over_time(rate(cpu_seconds_total[1m])[10m:1m])",
  "sum(rate(cpu_seconds_total[5m] @ 1800))",
  "quantile(0.9, rate(cpu_seconds_total[5m]))",
  "predict_linear(load[10m], 600)",
];

function run(src: MemorySource, query: string, seriesMajor: boolean, maxSamples?: number): { result?: MatrixValue; error?: string; annotations: Annotations } {
  const annotations: Annotations = { warnings: [], infos: [] };
  try {
    const result = evaluateRange(src, { query, start: 600_000, end: 3_540_000, step: 30_000 }, { seriesMajor, annotations, maxSamples });
    return { result, annotations };
  } catch (err) {
    if (!(err instanceof PromQLError)) throw err;
    return { error: `${err.kind}: ${err.message}`, annotations };
  }
}

/** Same series, timestamps and values (NaN equals NaN; sums may differ in the last bits when groups change order). */
function assertSameMatrix(actual: MatrixValue, expected: MatrixValue, query: string): void {
  assert.deepEqual(
    actual.series.map((s) => labelsKey(s.labels)),
    expected.series.map((s) => labelsKey(s.labels)),
    query,
  );
  expected.series.forEach((e, i) => {
    const a = actual.series[i]!;
    assert.deepEqual(
      a.points.map((p) => p.t),
      e.points.map((p) => p.t),
      query,
    );
    e.points.forEach((p, j) => {
      const v = a.points[j]!.v;
      const same = Object.is(v, p.v) || Math.abs(v - p.v) <= 1e-12 * Math.max(Math.abs(v), Math.abs(p.v));
      assert.ok(same, `${query}: ${labelsKey(e.labels)} at ${p.t}: series-major ${v}, stepped ${p.v}`);
    });
  });
}

describe("series-major evaluation", () => {
  const src = awkwardSource();

  for (const query of QUERIES) {
    it(`agrees with stepping: ${query}`, () => {
      const stepped = run(src, query, false);
      const seriesMajor = run(src, query, true);
      assert.equal(seriesMajor.error, stepped.error, query);
      if (stepped.result && seriesMajor.result) assertSameMatrix(seriesMajor.result, stepped.result, query);
      assert.deepEqual([...seriesMajor.annotations.infos].sort(), [...stepped.annotations.infos].sort(), query);
      assert.deepEqual([...seriesMajor.annotations.warnings].sort(), [...stepped.annotations.warnings].sort(), query);
    });
  }

  it("fails like stepping when a query loads too many samples", () => {
    for (const query of ["sum(rate(cpu_seconds_total[30m]))", "cpu_seconds_total", "sum(rate(cpu_seconds_total[30m])) + sum(load)"]) {
      const stepped = run(src, query, false, 1_000);
      assert.match(stepped.error ?? "", /^too_many_samples/, query);
      assert.equal(run(src, query, true, 1_000).error, stepped.error, query);
    }
  });

  it("takes the largest subtrees that qualify and leaves the rest to stepping", () => {
    const plan = (query: string): string[] => {
      const expr = parsePromQL(query);
      const ev = new Evaluator(src, expr, 0, 60_000, {});
      const { nodes } = evaluateSeriesMajor(expr, [0, 30_000, 60_000], ev);
      return [...nodes.keys()].map((e) => e.type + (e.type === "call" ? `:${e.func}` : e.type === "aggregate" ? `:${e.op}` : ""));
    };
    assert.deepEqual(plan("sum by (instance) (rate(cpu_seconds_total[5m]))"), ["aggregate:sum"]);
    assert.deepEqual(plan("rate(cpu_seconds_total[5m]) * 2"), ["call:rate"]);
    assert.deepEqual(plan("topk(2, sum(load)) / avg(load)"), ["aggregate:sum", "aggregate:avg"]);
    // Instant selectors only where sample times go unobserved; `@` and subqueries stay stepped.
    assert.deepEqual(plan("timestamp(load)"), []);
    assert.deepEqual(plan("load * 2"), []);
    assert.deepEqual(plan("sum(load @ 60)"), []);
    assert.deepEqual(plan("max_over_time(rate(load[1m])[5m:1m])"), []);
    // rate() over series that collide without __name__ must fail at the step where they meet.
    assert.deepEqual(plan('rate({__name__=~"load.*"}[5m])'), []);
    assert.deepEqual(plan("quantile_over_time(0.5, load[5m])"), []);
  });
});
