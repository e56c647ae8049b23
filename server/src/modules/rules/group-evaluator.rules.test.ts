import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Value } from "#server/modules/query/index.ts";
import { createGroupEvaluator, type GroupEvalIo } from "#server/modules/rules/group-evaluator.rules.ts";
import { parseRuleFile } from "#server/modules/rules/rule-file.rules.ts";

const MIN = 60_000;
const T = 10_000 * MIN;

function groupOf(yaml: string) {
  const parsed = parseRuleFile(yaml, { file: "rules.yml" });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.file.groups[0]!;
}

/** One alerting rule firing for instance a; ALERTS_FOR_STATE history as given. */
function io(history: Array<{ t: number; v: number }>, appended: Array<{ labels: Record<string, string> }>): GroupEvalIo {
  return {
    async query(expr: string, t: number): Promise<Value> {
      if (expr.startsWith("ALERTS_FOR_STATE")) {
        return { type: "matrix", series: history.length === 0 ? [] : [{ labels: { __name__: "ALERTS_FOR_STATE", alertname: "Down", instance: "a" }, points: history }] };
      }
      return { type: "vector", samples: [{ labels: { __name__: "up", instance: "a" }, value: 0, ts: t }] };
    },
    async append(samples) {
      appended.push(...samples);
    },
    now: () => 0,
    externalLabels: {},
    externalURL: "http://auspex",
  };
}

const group = groupOf("groups:\n  - name: g\n    rules:\n      - alert: Down\n        expr: up == 0\n        for: 30m\n");

describe("restoring `for` state after a restart", () => {
  it("counts time pending before and during the outage, as Prometheus does", async () => {
    // Pending since T-35m; last written at T-20m (down since); 15 min of the 30 to go: down time counts.
    const appended: Array<{ labels: Record<string, string> }> = [];
    const evaluator = createGroupEvaluator(group, "rules.yml", { restoreForState: true });
    const first = await evaluator.evaluate(T, io([{ t: T - 21 * MIN, v: (T - 35 * MIN) / 1000 }, { t: T - 20 * MIN, v: (T - 35 * MIN) / 1000 }], appended));
    assert.equal(appended.length, 0, "no ALERTS series before the restore");
    assert.equal(first.alerts[0]?.activeAt, T - 15 * MIN);
    const later = await evaluator.evaluate(T + 15 * MIN, io([], appended));
    assert.equal(later.alerts[0]?.state, "firing", "fires 15 min after the restart, not 30");
    assert.ok(appended.some((s) => s.labels.__name__ === "ALERTS_FOR_STATE"));
  });

  it("fires one grace period after the restart when less than that was left, and keeps a fired alert's activeAt", async () => {
    const almost = createGroupEvaluator(group, "rules.yml", { restoreForState: true });
    const r1 = await almost.evaluate(T, io([{ t: T - 5 * MIN, v: (T - 30 * MIN) / 1000 }], []));
    assert.equal(r1.alerts[0]?.activeAt, T + 10 * MIN - 30 * MIN, "25 of 30 min spent: fire 10 min (the grace period) from now");
    const fired = createGroupEvaluator(group, "rules.yml", { restoreForState: true });
    const r2 = await fired.evaluate(T, io([{ t: T - 5 * MIN, v: (T - 50 * MIN) / 1000 }], []));
    assert.equal(r2.alerts[0]?.activeAt, T - 50 * MIN);
    assert.equal((await fired.evaluate(T + MIN, io([], []))).alerts[0]?.state, "firing");
  });

  it("starts over without history, and never restores when not asked (promtool's unit tests)", async () => {
    const none = createGroupEvaluator(group, "rules.yml", { restoreForState: true });
    assert.equal((await none.evaluate(T, io([], []))).alerts[0]?.activeAt, T);
    const plain = createGroupEvaluator(group, "rules.yml");
    const appended: Array<{ labels: Record<string, string> }> = [];
    assert.equal((await plain.evaluate(T, io([{ t: T - 5 * MIN, v: (T - 50 * MIN) / 1000 }], appended))).alerts[0]?.activeAt, T);
    assert.ok(appended.length > 0);
  });
});
