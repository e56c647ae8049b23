import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SeriesBatch } from "#server/modules/metric-store/index.ts";
import type { Value } from "#server/modules/query/index.ts";
import { createRulesScheduler, type LoadedGroup, type RuleAlertSink } from "#server/modules/rules/rules-scheduler.ts";
import { parseRuleFile } from "#server/modules/rules/rule-file.rules.ts";
import { createLogger } from "#server/platform/logger.ts";
import { isStaleNaN } from "#server/platform/staleness.ts";
import { hashedOffset } from "#server/platform/timers.ts";
import { virtualTimers } from "#test/support/virtual-timers.ts";


const logger = createLogger({ level: "silent", format: "json" });

function groupsOf(yaml: string): LoadedGroup[] {
  const parsed = parseRuleFile(yaml, { file: "rules.yml" });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.file.groups.map((group) => ({ file: "rules.yml", group }));
}

const YAML = `groups:
  - name: g
    interval: 10s
    rules:
      - alert: Down
        expr: up == 0
        for: 20s
      - record: up:count
        expr: count(up)
`;

function harness(yaml: string) {
  const timers = virtualTimers();
  let files = groupsOf(yaml);
  const appended: SeriesBatch[] = [];
  const updates: Array<Parameters<RuleAlertSink>[1]> = [];
  const queries: Array<[string, number]> = [];
  const scheduler = createRulesScheduler({
    listUsers: () => Promise.resolve(["u1"]),
    loadGroups: () => Promise.resolve(files),
    query: (_userId, expr, t): Promise<Value> => {
      queries.push([expr, t]);
      return Promise.resolve(
        expr === "up == 0"
          ? { type: "vector", samples: [{ labels: { __name__: "up", instance: "a" }, value: 0, ts: t }] }
          : { type: "vector", samples: [{ labels: {}, value: 2, ts: t }] },
      );
    },
    append: (_userId, batch) => {
      appended.push(batch);
      return Promise.resolve();
    },
    sink: (_userId, update) => {
      updates.push(update);
      return Promise.resolve();
    },
    logger,
    timers,
    defaultIntervalMs: 60_000,
    externalURL: "https://auspex.example",
  });
  return { timers, scheduler, appended, updates, queries, setFiles: (y: string) => (files = groupsOf(y)) };
}

describe("rules scheduler", () => {
  it("evaluates each group on its interval at a fixed offset, evaluation time = the slot", async () => {
    const h = harness(YAML);
    await h.scheduler.syncAll();
    assert.equal(h.scheduler.size, 1);
    await h.timers.advance(35_000);
    const offset = hashedOffset("u1\u0000rules.yml\u0000g", 10_000);
    const times = [...new Set(h.queries.map(([, t]) => t))];
    assert.ok(times.length >= 3);
    for (const t of times) assert.equal((t - offset) % 10_000, 0, `evaluated at ${t}, off the slot`);
    assert.deepEqual(
      h.updates.map((u) => u.alerts.map((a) => a.state).join()),
      ["pending", "pending", "firing"].slice(0, h.updates.length),
    );
    assert.equal(h.updates[0]?.alerts[0]?.generatorURL, "https://auspex.example/graph?g0.expr=up%20%3D%3D%200&g0.tab=1");
    await h.scheduler.close();
  });

  it("keeps alert state when the rules are reloaded unchanged or extended, and marks a removed group's series stale", async () => {
    const h = harness(YAML);
    await h.scheduler.syncAll();
    await h.timers.advance(40_000);
    assert.equal(h.updates.at(-1)?.alerts[0]?.state, "firing");
    h.setFiles(YAML.replace("        expr: count(up)\n", "        expr: count(up)\n      - record: other\n        expr: vector(1)\n"));
    await h.scheduler.syncUser("u1");
    await h.timers.advance(10_000);
    assert.equal(h.updates.at(-1)?.alerts[0]?.state, "firing", "the unchanged alerting rule kept its state");
    const before = h.appended.length;
    h.setFiles("groups: []\n");
    await h.scheduler.syncUser("u1");
    assert.equal(h.scheduler.size, 0);
    const stale = h.appended.slice(before).flat();
    assert.ok(stale.length > 0 && stale.every((s) => s.samples.every((x) => isStaleNaN(x.v))), "the removed group's output goes stale");
    assert.deepEqual(h.updates.at(-1)?.alerts.map((a) => a.state), ["inactive"], "its alerts are reported resolved");
    await h.scheduler.close();
  });

  it("evaluates a group on demand and reports rule errors per rule", async () => {
    const h = harness(YAML);
    await h.scheduler.syncAll();
    const result = await h.scheduler.evaluateGroup("u1", "g", 5_000_000);
    assert.deepEqual(result?.errors, []);
    assert.equal(await h.scheduler.evaluateGroup("u1", "nope", 0), undefined);
    assert.equal(await h.scheduler.evaluateGroup("u2", "g", 0), undefined, "another user's group is not found");
    const views = h.scheduler.describeGroups("u1");
    assert.deepEqual(views[0]?.rules.map((r) => [r.name, r.health]), [["Down", "ok"], ["up:count", "ok"]]);
    await h.scheduler.close();
  });
});
