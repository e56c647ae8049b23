import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fingerprintOf, matchesAll, parseMatcher } from "#server/modules/alerting/labels.rules.ts";

describe("alert labels", () => {
  it("fingerprints label sets as Alertmanager does (golden webhook payloads of Alertmanager 0.25)", () => {
    assert.equal(fingerprintOf({ alertname: "HighLatency", instance: "a:9100", job: "node", severity: "page" }), "353a95d9f3451b47");
    assert.equal(fingerprintOf({ alertname: "HighLatency", instance: "b:9100", job: "node", severity: "page" }), "4c273a653afa9f28");
    assert.equal(fingerprintOf({ severity: "page", job: "node", instance: "a:9100", alertname: "HighLatency" }), "353a95d9f3451b47", "order does not matter");
  });

  it("parses and applies matchers (missing labels are empty)", () => {
    const ms = ["severity=\"critical\"", "instance=~\"web-.*\"", "env!=prod", 'team!~"db|ops"'].map(parseMatcher);
    assert.deepEqual(ms[0], { name: "severity", type: "=", value: "critical" });
    assert.equal(matchesAll(ms, { severity: "critical", instance: "web-1", team: "api" }), true);
    assert.equal(matchesAll(ms, { severity: "critical", instance: "xweb-1" }), false, "regexes are anchored");
    assert.equal(matchesAll(ms, { severity: "critical", instance: "web-1", env: "prod" }), false);
    assert.equal(matchesAll([parseMatcher('env=""')], {}), true);
    assert.throws(() => parseMatcher("severity"), /not a matcher/);
    assert.throws(() => parseMatcher('a=~"("'), /invalid regular expression/);
    assert.deepEqual(parseMatcher('msg="say \\"hi\\""'), { name: "msg", type: "=", value: 'say "hi"' });
  });
});
