import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAlertingRuleState, listAlerts, recordingRuleOutput, RESOLVED_RETENTION_MS, stepAlertingRule, type InstantSample } from "#server/modules/rules/alerting.rules.ts";
import type { RuleDef } from "#server/modules/rules/rule-file.rules.ts";

const M = 60_000;
const rule = (overrides: Partial<RuleDef> = {}): RuleDef => ({
  kind: "alerting",
  name: "InstanceDown",
  expr: "up == 0",
  forMs: 2 * M,
  keepFiringForMs: 0,
  labels: { severity: "page" },
  annotations: { summary: "{{ $labels.instance }} is down ({{ $value }})" },
  ...overrides,
});
const ctx = { externalLabels: {}, externalURL: "", limit: 0 };
const down: InstantSample[] = [{ labels: { __name__: "up", instance: "a", job: "node" }, value: 0 }];

function outputAt(r: RuleDef, state: ReturnType<typeof createAlertingRuleState>, samples: InstantSample[], t: number) {
  const result = stepAlertingRule(r, state, samples, t, ctx);
  assert.ok(result.ok);
  return result.output.map((s) => `${s.labels.__name__}${s.labels.alertstate === undefined ? "" : `{${s.labels.alertstate}}`}=${s.value}`);
}

describe("alerting rule state machine (Prometheus rules/alerting.go)", () => {
  it("goes pending, then firing once active for `for`, with ALERTS and ALERTS_FOR_STATE", () => {
    const r = rule();
    const state = createAlertingRuleState();
    const t0 = 1_700_000_000_500;
    assert.deepEqual(outputAt(r, state, down, t0), ["ALERTS{pending}=1", `ALERTS_FOR_STATE=${Math.floor(t0 / 1000)}`]);
    assert.deepEqual(outputAt(r, state, down, t0 + M), ["ALERTS{pending}=1", `ALERTS_FOR_STATE=${Math.floor(t0 / 1000)}`]);
    assert.deepEqual(outputAt(r, state, down, t0 + 2 * M), ["ALERTS{firing}=1", `ALERTS_FOR_STATE=${Math.floor(t0 / 1000)}`]);
    const [alert] = listAlerts(state);
    assert.deepEqual(alert?.labels, { alertname: "InstanceDown", instance: "a", job: "node", severity: "page" });
    assert.deepEqual(alert?.annotations, { summary: "a is down (0)" });
    assert.equal(alert?.firedAt, t0 + 2 * M);
    const full = stepAlertingRule(r, state, down, t0 + 3 * M, ctx);
    assert.deepEqual(full.output[0]?.labels, { __name__: "ALERTS", alertname: "InstanceDown", alertstate: "firing", instance: "a", job: "node", severity: "page" });
  });

  it("fires at once without `for`, and drops a pending alert that clears", () => {
    const state = createAlertingRuleState();
    assert.deepEqual(outputAt(rule({ forMs: 0 }), state, down, 0), ["ALERTS{firing}=1", "ALERTS_FOR_STATE=0"]);
    const pending = createAlertingRuleState();
    outputAt(rule(), pending, down, 0);
    assert.deepEqual(outputAt(rule(), pending, [], M), []);
    assert.equal(listAlerts(pending).length, 0, "a pending alert that clears is forgotten, not resolved");
  });

  it("keeps a resolved alert 15 minutes as inactive, then forgets it; a new activation starts afresh", () => {
    const r = rule({ forMs: 0 });
    const state = createAlertingRuleState();
    outputAt(r, state, down, 0);
    assert.deepEqual(outputAt(r, state, [], M), []);
    assert.deepEqual(listAlerts(state).map((a) => [a.state, a.resolvedAt]), [["inactive", M]]);
    outputAt(r, state, [], M + RESOLVED_RETENTION_MS);
    assert.equal(listAlerts(state).length, 1, "kept for exactly the retention");
    outputAt(r, state, [], M + RESOLVED_RETENTION_MS + 1);
    assert.equal(listAlerts(state).length, 0);
    const again = createAlertingRuleState();
    outputAt(r, again, down, 0);
    outputAt(r, again, [], M);
    assert.deepEqual(outputAt(r, again, down, 2 * M), ["ALERTS{firing}=1", "ALERTS_FOR_STATE=120"], "a resolved alert that returns is a new alert");
  });

  it("keeps firing for keep_firing_for after the condition clears", () => {
    const r = rule({ forMs: 0, keepFiringForMs: 2 * M });
    const state = createAlertingRuleState();
    outputAt(r, state, down, 0);
    assert.deepEqual(outputAt(r, state, [], M), ["ALERTS{firing}=1", "ALERTS_FOR_STATE=0"]);
    assert.deepEqual(outputAt(r, state, [], 2 * M), ["ALERTS{firing}=1", "ALERTS_FOR_STATE=0"]);
    assert.deepEqual(outputAt(r, state, [], 3 * M), [], "resolved once keep_firing_for has passed");
    assert.equal(listAlerts(state)[0]?.state, "inactive");
  });

  it("updates value and annotations of an active alert but keeps its activeAt", () => {
    const state = createAlertingRuleState();
    outputAt(rule(), state, [{ labels: { instance: "a" }, value: 1 }], 0);
    outputAt(rule(), state, [{ labels: { instance: "a" }, value: 2 }], M);
    assert.deepEqual(listAlerts(state).map((a) => [a.activeAt, a.value, a.annotations.summary]), [[0, 2, "a is down (2)"]]);
  });

  it("fails on duplicate label sets after applying labels, and over the limit", () => {
    const dup = stepAlertingRule(rule(), createAlertingRuleState(), [{ labels: { __name__: "a", instance: "x" }, value: 1 }, { labels: { __name__: "b", instance: "x" }, value: 1 }], 0, ctx);
    assert.deepEqual(dup, { ok: false, error: "vector contains metrics with the same labelset after applying alert labels", output: [] });
    const limited = stepAlertingRule(rule(), createAlertingRuleState(), [{ labels: { instance: "x" }, value: 1 }, { labels: { instance: "y" }, value: 1 }], 0, { ...ctx, limit: 1 });
    assert.equal(limited.ok ? "" : limited.error, "exceeded limit of 1 with 2 alerts");
  });

  it("renames and relabels a recording rule's result", () => {
    const r: RuleDef = { kind: "recording", name: "job:up:sum", expr: "sum by (job) (up)", forMs: 0, keepFiringForMs: 0, labels: { team: "ops" }, annotations: {} };
    assert.deepEqual(recordingRuleOutput(r, [{ labels: { __name__: "x", job: "node" }, value: 3 }], 0), { ok: true, output: [{ labels: { __name__: "job:up:sum", job: "node", team: "ops" }, value: 3 }] });
    assert.equal(recordingRuleOutput(r, [{ labels: { job: "a" }, value: 1 }, { labels: { job: "b" }, value: 1 }], 1).ok, false);
  });
});
