import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatRuleProblem, parseRuleFile } from "#server/modules/rules/rule-file.rules.ts";

const problems = (yaml: string, options: Partial<Parameters<typeof parseRuleFile>[1]> = {}) => {
  const r = parseRuleFile(yaml, { file: "rules.yml", ...options });
  return r.ok ? [] : r.problems.map(formatRuleProblem);
};

describe("rule file parsing (rulefmt)", () => {
  it("parses groups, durations, labels and annotations", () => {
    const r = parseRuleFile(
      "groups:\n  - name: g\n    interval: 30s\n    limit: 5\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 5m\n        keep_firing_for: 1m\n        labels: { severity: page }\n        annotations: { summary: 'x {{ $value }}' }\n      - record: r:sum\n        expr: sum(up)\n",
      { file: "rules.yml" },
    );
    assert.ok(r.ok);
    assert.deepEqual(r.file.groups[0], {
      name: "g",
      intervalMs: 30_000,
      limit: 5,
      queryOffsetMs: 0,
      rules: [
        { kind: "alerting", name: "A", expr: "up == 0", forMs: 300_000, keepFiringForMs: 60_000, labels: { severity: "page" }, annotations: { summary: "x {{ $value }}" } },
        { kind: "recording", name: "r:sum", expr: "sum(up)", forMs: 0, keepFiringForMs: 0, labels: {}, annotations: {} },
      ],
    });
    assert.deepEqual(parseRuleFile("", { file: "f" }), { ok: true, file: { groups: [] } });
  });

  it("reports every problem with file, line, group and rule", () => {
    assert.deepEqual(problems("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 'up =='\n      - record: 'bad name'\n        expr: up\n        for: 1m\n"), [
      'rules.yml:4: group "g": rule 1 (A): could not parse expression: ' + problems("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 'up =='\n")[0]!.split("could not parse expression: ")[1],
      'rules.yml:6: group "g": rule 2 (bad name): invalid field \'for\' in recording rule',
      'rules.yml:6: group "g": rule 2 (bad name): invalid recording rule name: bad name',
    ]);
    assert.match(problems("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        for: 5 minutes\n")[0]!, /not a valid duration string: "5 minutes"/);
    assert.match(problems("groups:\n  - name: g\n    bogus: 1\n")[0]!, /field bogus not found in type rulefmt.RuleGroup/);
    assert.match(problems("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up\n        annotations:\n          s: '{{ $nope }}'\n")[0]!, /undefined variable "\$nope"/);
    assert.match(problems("groups:\n  - name: [x\n")[0]!, /^rules.yml: yaml: /);
    assert.match(problems("groups:\n  - name: g\n  - name: g\n")[0]!, /groupname: "g" is repeated in the same file/);
    assert.match(problems("a: 1\ngroups: []\n")[0]!, /field a not found/);
  });

  it("applies Prometheus 3.x group labels (a rule's own label wins) and query_offset", () => {
    const r = parseRuleFile("groups:\n  - name: g\n    query_offset: 1m\n    labels: { team: a, env: prod }\n    rules:\n      - record: x\n        expr: up\n        labels: { team: b }\n", { file: "f" });
    assert.ok(r.ok);
    assert.equal(r.file.groups[0]?.queryOffsetMs, 60_000);
    assert.deepEqual(r.file.groups[0]?.rules[0]?.labels, { team: "b", env: "prod" });
    assert.match(problems("groups:\n  - name: g\n    labels: { __name__: x }\n")[0]!, /invalid label name: __name__/);
  });

  it("enforces the group and rule limits", () => {
    assert.match(problems("groups:\n  - name: a\n  - name: b\n", { maxGroups: 1 })[0]!, /too many groups: 2 \(at most 1\)/);
    assert.match(problems("groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n      - record: y\n        expr: up\n", { maxRulesPerGroup: 1 })[0]!, /too many rules: 2 \(at most 1\)/);
  });

  it("checks label names by the chosen scheme", () => {
    const yaml = "groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n        labels:\n          my-label: v\n";
    assert.match(problems(yaml)[0]!, /invalid label name: my-label/);
    assert.deepEqual(problems(yaml, { nameValidation: "utf8" }), []);
  });
});
