import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flushGroup, newGroup, type TrackedAlert } from "#server/modules/alerting/dispatch.rules.ts";
import { compileRoute } from "#server/modules/alerting/routing.rules.ts";

const S = 1000;
const MIN = 60 * S;
const alert = (fingerprint: string, state: TrackedAlert["state"], startsAt = 0, extra: Partial<TrackedAlert> = {}): TrackedAlert => ({
  fingerprint,
  labels: { alertname: "X", instance: fingerprint },
  state,
  startsAt,
  acknowledgedAt: null,
  muted: false,
  ...extra,
});
const never = () => undefined;

describe("aggregation group flushes", () => {
  const route = compileRoute({ receivers: ["*"], group_wait: "30s", group_interval: "5m", repeat_interval: "1h" });

  it("speaks after group_wait, again only on change at group_interval, and repeats after repeat_interval", () => {
    const g = newGroup("k", route, { alertname: "X" }, 0);
    assert.equal(g.nextFlushAt, 30 * S);
    let r = flushGroup(g, [alert("a", "firing"), alert("b", "pending")], route, 30 * S, never);
    assert.deepEqual(r.send, { reason: "new", firing: ["a"], resolved: [] });
    assert.equal(r.nextAt, 30 * S + 5 * MIN);
    r = flushGroup(g, [alert("a", "firing")], route, 30 * S + 5 * MIN, never);
    assert.equal(r.send, null, "nothing changed");
    r = flushGroup(g, [alert("a", "firing"), alert("b", "firing")], route, 30 * S + 10 * MIN, never);
    assert.deepEqual(r.send, { reason: "changed", firing: ["a", "b"], resolved: [] });
    r = flushGroup(g, [alert("a", "resolved"), alert("b", "firing")], route, 30 * S + 15 * MIN, never);
    assert.deepEqual(r.send, { reason: "changed", firing: ["b"], resolved: ["a"] });
    assert.deepEqual(r.drop, ["a"]);
    r = flushGroup(g, [alert("b", "firing")], route, 30 * S + 74 * MIN, never);
    assert.equal(r.send, null, "59 minutes after the last notification");
    r = flushGroup(g, [alert("b", "firing")], route, 30 * S + 75 * MIN, never);
    assert.deepEqual(r.send, { reason: "repeat", firing: ["b"], resolved: [] });
    r = flushGroup(g, [alert("b", "resolved")], route, 30 * S + 80 * MIN, never);
    assert.deepEqual(r.send?.resolved, ["b"]);
    assert.equal(r.nextAt, null, "empty: forget the group");
  });

  it("does not repeat acknowledged alerts, and leaves muted ones out", () => {
    const g = newGroup("k", route, {}, 0);
    flushGroup(g, [alert("a", "firing"), alert("b", "firing")], route, 30 * S, never);
    const acked = [alert("a", "firing", 0, { acknowledgedAt: MIN }), alert("b", "firing", 0, { muted: true })];
    assert.equal(flushGroup(g, acked, route, 2 * 3600 * S, never).send, null);
    const g2 = newGroup("k2", route, {}, 0);
    const r = flushGroup(g2, [alert("a", "firing", 0, { muted: true }), alert("c", "resolved")], route, 30 * S, never);
    assert.equal(r.send, null, "a muted alert is not notified; a resolved one nobody heard of is dropped quietly");
    assert.deepEqual(r.drop, ["c"]);
  });

  it("damps flapping: notifies only alerts still firing after the damping time", () => {
    const damped = compileRoute({ receivers: ["*"], group_wait: "0s", group_interval: "1m", flap_damping: "5m" });
    const g = newGroup("k", damped, {}, 0);
    let r = flushGroup(g, [alert("a", "firing", 0)], damped, 0, never);
    assert.equal(r.send, null);
    assert.equal(r.nextAt, MIN);
    r = flushGroup(g, [alert("a", "resolved", 0)], damped, 2 * MIN, never);
    assert.equal(r.send, null, "it flapped: never notified, its resolution neither");
    assert.equal(r.nextAt, null);
    const g2 = newGroup("k2", damped, {}, 0);
    r = flushGroup(g2, [alert("b", "firing", 0)], damped, 4 * MIN, never);
    assert.equal(r.send, null);
    assert.equal(r.nextAt, 5 * MIN, "looked at again exactly when it becomes notifiable");
    assert.deepEqual(flushGroup(g2, [alert("b", "firing", 0)], damped, 5 * MIN, never).send?.firing, ["b"]);
  });

  it("holds back an alert firing again within its cooldown", () => {
    const cool = compileRoute({ receivers: ["*"], group_wait: "0s", group_interval: "1m", cooldown: "30m" });
    const g = newGroup("k", cool, {}, 0);
    const lastNotice = (fp: string) => (fp === "a" ? 0 : undefined);
    let r = flushGroup(g, [alert("a", "firing", 10 * MIN)], cool, 10 * MIN, lastNotice);
    assert.equal(r.send, null);
    assert.equal(r.nextAt, 11 * MIN);
    r = flushGroup(g, [alert("a", "firing", 10 * MIN)], cool, 30 * MIN, lastNotice);
    assert.deepEqual(r.send?.firing, ["a"]);
  });

  it("escalates once when firing alerts stay unacknowledged", () => {
    const esc = compileRoute({ receivers: ["chat"], group_wait: "0s", group_interval: "5m", repeat_interval: "4h", escalation: { after: "15m", receivers: ["pager"] } });
    const g = newGroup("k", esc, {}, 0);
    let r = flushGroup(g, [alert("a", "firing")], esc, 0, never);
    assert.equal(r.escalate, null);
    assert.equal(r.nextAt, 5 * MIN);
    r = flushGroup(g, [alert("a", "firing")], esc, 15 * MIN, never);
    assert.deepEqual(r.escalate, ["a"]);
    r = flushGroup(g, [alert("a", "firing")], esc, 30 * MIN, never);
    assert.equal(r.escalate, null, "once");
    const g2 = newGroup("k2", esc, {}, 0);
    flushGroup(g2, [alert("b", "firing")], esc, 0, never);
    assert.equal(flushGroup(g2, [alert("b", "firing", 0, { acknowledgedAt: MIN })], esc, 20 * MIN, never).escalate, null, "acknowledged in time");
  });
});
