import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { InjectOptions } from "fastify";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";

/* Prometheus rule files over HTTP: YAML in and out, validation errors naming file/group/rule, defaults, evaluation. */

const RULES = `groups:
  - name: app
    interval: 30s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: InstanceDown
        expr: up == 0
        for: 1m
        labels:
          severity: page
        annotations:
          summary: "Instance {{ $labels.instance }} down"
          description: "{{ $labels.instance }} of job {{ $labels.job }} has value {{ $value }}"
`;

describe("rule routes", () => {
  const clock = manualClock();
  let t: TestApp;
  let token: string;
  let userId: string;
  let otherToken: string;
  const inject = (options: InjectOptions) => t.auspex.app.inject(options);
  const putYaml = (yaml: string, as = token) => inject({ method: "PUT", url: "/api/v1/rules", headers: { ...t.bearer(as), "content-type": "application/yaml" }, payload: yaml });

  before(async () => {
    t = await startTestApp({}, { clock });
    const owner = await t.register("rules_owner");
    token = owner.access_token;
    userId = owner.user.id;
    otherToken = (await t.register("rules_other")).access_token;
  });
  after(() => t.close());

  it("returns an empty rule file before any is stored", async () => {
    const response = await inject({ method: "GET", url: "/api/v1/rules", headers: t.bearer(token) });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(String(response.headers["content-type"]), /^application\/yaml/);
    assert.equal(response.body, "groups: []\n");
  });

  it("stores YAML (as YAML or as JSON { yaml }) and returns it unchanged", async () => {
    const put = await putYaml(RULES);
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json(), { files: ["rules.yml"], groups: 1, rules: 2 });
    const got = await inject({ method: "GET", url: "/api/v1/rules", headers: t.bearer(token) });
    assert.equal(got.body, RULES);
    for (const type of ["application/x-yaml", "text/yaml"]) {
      const r = await inject({ method: "PUT", url: "/api/v1/rules", headers: { ...t.bearer(token), "content-type": type }, payload: RULES });
      assert.equal(r.statusCode, 200, r.body);
    }
    const json = await inject({ method: "PUT", url: "/api/v1/rules", headers: t.bearer(token), payload: { yaml: RULES } });
    assert.equal(json.statusCode, 200, json.body);
  });

  it("keeps rules private to their owner", async () => {
    const other = await inject({ method: "GET", url: "/api/v1/rules", headers: t.bearer(otherToken) });
    assert.equal(other.body, "groups: []\n");
    const status = await inject({ method: "GET", url: "/api/v1/rules/status", headers: t.bearer(otherToken) });
    assert.deepEqual(status.json<{ groups: unknown[] }>().groups, []);
  });

  it("rejects invalid YAML or PromQL with 400 naming file, group and rule, and keeps the previous rules", async () => {
    const badPromQL = await putYaml("groups:\n  - name: app\n    rules:\n      - alert: Broken\n        expr: rate(up)\n");
    const body = assertError(badPromQL, 400, "validation_error");
    assert.equal(body.error.details?.[0]?.field, 'rules.yml:4: group "app": rule 1 (Broken)');
    assert.ok(body.error.message.startsWith('rules.yml:4: group "app": rule 1 (Broken): could not parse expression'), body.error.message);
    assert.match(body.error.details?.[0]?.problem ?? "", /could not parse expression: .*expected type range vector/);
    const badYaml = await putYaml("groups:\n  - name: [unclosed\n");
    assertError(badYaml, 400, "validation_error");
    const badField = await putYaml("groups:\n  - name: app\n    rules:\n      - record: x\n        expr: up\n        for: 5m\n");
    assert.match(badField.body, /invalid field 'for' in recording rule/);
    const got = await inject({ method: "GET", url: "/api/v1/rules", headers: t.bearer(token) });
    assert.equal(got.body, RULES, "the previous rules are still stored");
    const status = await inject({ method: "GET", url: "/api/v1/rules/status", headers: t.bearer(token) });
    assert.deepEqual(
      status.json<{ groups: Array<{ name: string }> }>().groups.map((g) => g.name),
      ["app"],
      "and still scheduled",
    );
  });

  it("evaluates a group against the metric store: recording output, ALERTS and ALERTS_FOR_STATE, status", async () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    await t.auspex.metricStore.append(userId, [
      { labels: { __name__: "up", job: "node", instance: "a:9100" }, samples: [0, 30, 60, 90].map((s) => ({ t: t0 + s * 1000, v: 0 })) },
      { labels: { __name__: "up", job: "node", instance: "b:9100" }, samples: [0, 30, 60, 90].map((s) => ({ t: t0 + s * 1000, v: 1 })) },
    ]);
    const first = await t.auspex.rules.service.evaluateGroup(userId, "app", t0);
    assert.ok(first);
    assert.deepEqual(first.errors, []);
    assert.deepEqual(
      first.alerts.map((a) => [a.alertname, a.state, a.labels.instance, a.annotations.summary]),
      [["InstanceDown", "pending", "a:9100", "Instance a:9100 down"]],
    );
    const second = await t.auspex.rules.service.evaluateGroup(userId, { file: "rules.yml", group: "app" }, t0 + 60_000);
    assert.equal(second?.alerts[0]?.state, "firing");
    assert.equal(second?.alerts[0]?.annotations.description, "a:9100 of job node has value 0");

    const q = async (query: string, time: number) => {
      const v = await t.auspex.query.instantQuery({ kind: "session", userId, sessionId: "test" }, { query, time });
      assert.equal(v.type, "vector");
      return v.type === "vector" ? v.samples.map((s) => ({ labels: s.labels, value: s.value })) : [];
    };
    assert.deepEqual(await q("job:up:sum", t0 + 60_000), [{ labels: { __name__: "job:up:sum", job: "node" }, value: 1 }]);
    assert.deepEqual(await q("ALERTS", t0 + 60_000), [
      { labels: { __name__: "ALERTS", alertname: "InstanceDown", alertstate: "firing", instance: "a:9100", job: "node", severity: "page" }, value: 1 },
    ]);
    assert.deepEqual(await q("ALERTS_FOR_STATE", t0 + 60_000), [
      { labels: { __name__: "ALERTS_FOR_STATE", alertname: "InstanceDown", instance: "a:9100", job: "node", severity: "page" }, value: t0 / 1000 },
    ]);

    const status = await inject({ method: "GET", url: "/api/v1/rules/status", headers: t.bearer(token) });
    assert.equal(status.statusCode, 200, status.body);
    const group = status.json<{ groups: Array<{ name: string; intervalSeconds: number; lastEvaluation: string; rules: Array<{ health: string }>; alerts: Array<{ state: string; activeAt: string; value: string }> }> }>().groups[0]!;
    assert.equal(group.intervalSeconds, 30);
    assert.equal(group.lastEvaluation, new Date(t0 + 60_000).toISOString());
    assert.deepEqual(group.rules.map((r) => r.health), ["ok", "ok"]);
    assert.deepEqual(group.alerts.map((a) => [a.state, a.activeAt, a.value]), [["firing", new Date(t0).toISOString(), "0"]]);
  });

  it("enables the shipped defaults with one call and disables them", async () => {
    const enabled = await inject({ method: "POST", url: "/api/v1/rules/defaults", headers: t.bearer(token) });
    assert.equal(enabled.statusCode, 200, enabled.body);
    const summary = enabled.json<{ files: string[]; groups: number; rules: number }>();
    assert.deepEqual(summary.files, ["defaults/node-exporter.yml", "defaults/seed-002.yml", "rules.yml"]);
    assert.equal(summary.rules, 2 + 4 + 4);
    const status = await inject({ method: "GET", url: "/api/v1/rules/status", headers: t.bearer(token) });
    const names = status.json<{ groups: Array<{ rules: Array<{ name: string }> }> }>().groups.flatMap((g) => g.rules.map((r) => r.name));
    for (const alert of ["HighErrorRate", "HighResponseTime", "HighMemoryUsage", "RedisMemoryHigh", "TargetDown", "DiskNearlyFull", "HighCpuUsage", "MemoryPressure"]) assert.ok(names.includes(alert), alert);
    const disabled = await inject({ method: "DELETE", url: "/api/v1/rules/defaults", headers: t.bearer(token) });
    assert.deepEqual(disabled.json<{ files: string[] }>().files, ["rules.yml"]);
  });

  it("needs admin to change rules and read to see them", async () => {
    const readKey = await t.apiKey(token, ["read"]);
    const get = await inject({ method: "GET", url: "/api/v1/rules", headers: t.bearer(readKey) });
    assert.equal(get.statusCode, 200);
    assertError(await putYaml(RULES, readKey), 403, "forbidden");
    assertError(await inject({ method: "POST", url: "/api/v1/rules/defaults", headers: t.bearer(readKey) }), 403, "forbidden");
    assertError(await inject({ method: "GET", url: "/api/v1/rules" }), 401, "unauthorized");
  });
});
