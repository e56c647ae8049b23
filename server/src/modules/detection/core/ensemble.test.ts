import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  anomalyScoreOf,
  contextOnsetScore,
  createLastReport,
  createPendingOnset,
  directional,
  distinctReport,
  ONSET_SCALE,
  onsetScore,
  PERSIST_HITS,
  PERSIST_SCORE,
  PERSIST_SPAN,
  persistedOnset,
  REPORT_SPAN,
  toUnitInterval,
  voteSum,
} from "#server/modules/detection/core/ensemble.rules.ts";

/** Runs persistedOnset over (onset, score) pairs; returns the reported onsets by sample. */
function persisted(steps: Array<[number, number]>): number[] {
  const p = createPendingOnset();
  return steps.map(([onset, score]) => persistedOnset(p, onset, score));
}

/** Runs distinctReport over scores at samples 0, 1, 2, …; returns what is reported. */
function distinct(scores: number[]): number[] {
  const last = createLastReport();
  return scores.map((x) => distinctReport(last, x));
}

/** A report of `first`, then `second` `after` samples later (zeros between). */
function twoReports(first: number, second: number, after: number): number[] {
  const scores = new Array<number>(after + 1).fill(0);
  scores[0] = first;
  scores[after] = second;
  return distinct(scores);
}

/** An onset of `value`, then PERSIST_SPAN samples of which the first `high` score above PERSIST_SCORE. */
function onsetThen(value: number, high: number): Array<[number, number]> {
  const after = Array.from({ length: PERSIST_SPAN }, (_, k): [number, number] => [0, k < high ? 2 * PERSIST_SCORE : PERSIST_SCORE / 2]);
  return [[value, 3], ...after];
}

describe("ensemble", () => {
  it("filters votes by direction", () => {
    assert.equal(directional(2, 1, "up"), 2);
    assert.equal(directional(2, -1, "up"), 0);
    assert.equal(directional(2, -1, "down"), 2);
    assert.equal(directional(2, -1, "both"), 2);
  });

  it("sums votes and maps scores to [0, 1] with 1 → 0.5", () => {
    assert.equal(voteSum(0.5, 0.25, 0.25), 3 * 0.5 + 0.25 + 2 * 0.25);
    assert.equal(toUnitInterval(1), 0.5);
    assert.equal(toUnitInterval(0), 0);
    assert.equal(toUnitInterval(Number.NaN), 0);
    assert.ok(toUnitInterval(1e9) <= 1);
  });

  it("reports an onset once, not while the deviation persists or recurs at the same size", () => {
    let memory = 0;
    const out: number[] = [];
    // Vote sums 0.1 → unit 0.09, 4 → 0.8, 9 → 0.9.
    for (const votes of [0.1, 0.1, 4, 4, 4, 0.1, 4, 9]) {
      const [a, m] = onsetScore(votes, memory);
      memory = m;
      out.push(a);
    }
    assert.ok(out[2]! > 0.6, `onset ${out[2]}`);
    assert.ok(out[3]! < 1e-3 && out[4]! < 1e-3 && out[6]! < 1e-3);
    assert.ok(out[7]! > 0.09, `larger ${out[7]}`);
  });

  it("reports a context onset at half weight, once per new maximum of the ratio", () => {
    let memory = 0;
    const out: number[] = [];
    // Ratios 1 → unit 1/3, 6 → 0.75, 3 → 0.6.
    for (const ratio of [1, 1, 6, 6, 3, 0]) {
      const [a, m] = contextOnsetScore(ratio, memory);
      memory = m;
      out.push(a);
    }
    assert.ok(Math.abs(out[0]! - 0.5 / 3) < 1e-12, `first ${out[0]}`);
    assert.ok(Math.abs(out[2]! - 0.5 * (0.75 - 1 / 3)) < 1e-12, `onset ${out[2]}`);
    assert.deepEqual(out.slice(3), [0, 0, 0]);
    assert.equal(memory, 0.75);
  });

  it("reports a vote onset PERSIST_SPAN samples later, only when the deviation persisted", () => {
    const kept = persisted(onsetThen(0.25, PERSIST_HITS));
    assert.equal(kept[PERSIST_SPAN], 0.25, "persisted for PERSIST_HITS samples");
    assert.deepEqual(kept.slice(0, PERSIST_SPAN), new Array<number>(PERSIST_SPAN).fill(0), "nothing before the span ends");
    const lone = persisted(onsetThen(0.25, PERSIST_HITS - 1));
    assert.deepEqual(lone, new Array<number>(PERSIST_SPAN + 1).fill(0), "a deviation one sample too short is no event");
  });

  it("a larger onset while one is pending replaces it and restarts the span; a smaller one does not", () => {
    const high: [number, number] = [0, 1];
    const steps: Array<[number, number]> = [[0.1, 3], high, high, [0.3, 3], [0.2, 3], ...Array.from({ length: PERSIST_SPAN }, () => high)];
    const out = persisted(steps);
    assert.equal(out[PERSIST_SPAN], 0, "the first onset's span was restarted");
    assert.equal(out[3 + PERSIST_SPAN], Math.fround(0.3));
    assert.equal(out.filter((x) => x > 0).length, 1);
  });

  it("anomalyScore is the larger of novelty and the scaled onset, in [0, 1]", () => {
    assert.equal(anomalyScoreOf(0, 0), 0);
    assert.equal(anomalyScoreOf(1 / ONSET_SCALE, 0), 0.5);
    assert.equal(anomalyScoreOf(1 / ONSET_SCALE, 0.75), 0.75, "novelty above the onset wins");
    assert.equal(anomalyScoreOf(3 / ONSET_SCALE, 0.6), 0.75, "the onset above novelty wins");
    assert.ok(anomalyScoreOf(1, 0) < 1);
  });

  it("reports one event once: a score no larger than a report up to REPORT_SPAN samples before is dropped", () => {
    assert.equal(twoReports(0.75, 0.75, REPORT_SPAN).at(-1), 0, "as large, at the end of the span");
    assert.equal(twoReports(0.75, 0.6, 5).at(-1), 0, "smaller, soon after");
    assert.equal(twoReports(0.75, 0.6, REPORT_SPAN + 1).at(-1), 0.6, "after the span, a new event");
    assert.equal(twoReports(0.75, 0.9, 5).at(-1), 0.9, "a larger score is reported");
    assert.deepEqual(distinct([0.2, 0, 0]), [0.2, 0, 0], "zero stays zero");
  });

  it("a larger report within the span becomes the reference and restarts it", () => {
    const scores = new Array<number>(REPORT_SPAN + 12).fill(0);
    scores[0] = 0.6;
    scores[10] = 0.9;
    scores[REPORT_SPAN + 5] = 0.8; // past the first report's span, inside the second's
    scores[REPORT_SPAN + 11] = 0.8; // past the second's span
    const out = distinct(scores);
    assert.equal(out[10], 0.9);
    assert.equal(out[REPORT_SPAN + 5], 0);
    assert.equal(out[REPORT_SPAN + 11], 0.8);
  });
});
