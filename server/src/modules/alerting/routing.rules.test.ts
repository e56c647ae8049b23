import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileRoute, groupKeyOf, groupLabelsOf, matchRoutes } from "#server/modules/alerting/routing.rules.ts";

describe("routing tree", () => {
  const tree = compileRoute({
    receivers: ["default"],
    group_by: ["alertname"],
    routes: [
      { matchers: ['severity="critical"'], receivers: ["pager"], group_wait: "10s", continue: true, routes: [{ matchers: ['team="db"'], receivers: ["db-pager"] }] },
      { matchers: ['team=~"db|ops"'], receivers: ["ops-chat"], group_by: ["..."] },
      { matchers: ['team="web"'], receivers: ["web-chat"] },
    ],
  });

  it("walks the tree as Alertmanager: first match unless continue, deepest match wins, root catches the rest", () => {
    const ids = (labels: Record<string, string>) => matchRoutes(tree, labels).map((r) => `${r.id}:${r.receivers.join()}`);
    assert.deepEqual(ids({ alertname: "A", severity: "critical", team: "db" }), ["0.0.0:db-pager", "0.1:ops-chat"]);
    assert.deepEqual(ids({ alertname: "A", severity: "critical", team: "web" }), ["0.0:pager", "0.2:web-chat"]);
    assert.deepEqual(ids({ alertname: "A", team: "web" }), ["0.2:web-chat"]);
    assert.deepEqual(ids({ alertname: "A" }), ["0:default"]);
  });

  it("inherits settings, groups by the route's labels and keys groups like Alertmanager", () => {
    const [critical] = matchRoutes(tree, { alertname: "A", severity: "critical", team: "web" });
    assert.equal(critical?.groupWaitMs, 10_000);
    assert.equal(critical?.groupIntervalMs, 300_000, "default");
    const [dbChild] = matchRoutes(tree, { alertname: "A", severity: "critical", team: "db" });
    assert.equal(dbChild?.groupWaitMs, 10_000, "inherited from its parent");
    const [ops] = matchRoutes(tree, { alertname: "A", team: "ops", instance: "x" });
    assert.deepEqual(groupLabelsOf(ops!, { alertname: "A", team: "ops", instance: "x" }), { alertname: "A", instance: "x", team: "ops" });
    assert.equal(groupKeyOf(tree, { alertname: "HighLatency" }), '{0}:{alertname="HighLatency"}');
    assert.throws(() => compileRoute({ routes: [{ matchers: ["nope"] }] }), /route 0\.0: "nope" is not a matcher/);
  });
});
