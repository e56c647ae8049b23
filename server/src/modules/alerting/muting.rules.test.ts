import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseMatcher } from "#server/modules/alerting/labels.rules.ts";
import { inhibitedBy, maintainedBy, maintenanceActive, silencedBy, silenceStatus } from "#server/modules/alerting/muting.rules.ts";

const m = (...texts: string[]) => texts.map(parseMatcher);

describe("silences, maintenance windows and inhibition", () => {
  it("silences by matchers while active", () => {
    const silences = [{ id: "s1", matchers: m('instance="web-1"'), startsAt: 100, endsAt: 200 }];
    assert.deepEqual(silencedBy({ instance: "web-1" }, silences, 150), ["s1"]);
    assert.deepEqual(silencedBy({ instance: "web-1" }, silences, 200), [], "ends_at is exclusive");
    assert.deepEqual(silencedBy({ instance: "web-2" }, silences, 150), []);
    assert.equal(silenceStatus(silences[0]!, 50), "pending");
  });

  it("opens recurring windows on local wall-clock time, across midnight", () => {
    // Sundays 23:00 for 2 h, Berlin (UTC+1 in January).
    const w = { days: [6], startMinute: 23 * 60, durationMs: 2 * 3_600_000, timeZone: "Europe/Berlin" };
    assert.equal(maintenanceActive(w, Date.parse("2026-01-04T22:30:00Z")), true, "Sunday 23:30 local");
    assert.equal(maintenanceActive(w, Date.parse("2026-01-04T23:30:00Z")), true, "Monday 00:30 local");
    assert.equal(maintenanceActive(w, Date.parse("2026-01-05T00:30:00Z")), false, "Monday 01:30 local");
    assert.equal(maintenanceActive(w, Date.parse("2026-01-04T21:30:00Z")), false, "Sunday 22:30 local");
    const windows = [{ id: "mw", matchers: m('job="node"'), ...w }];
    assert.deepEqual(maintainedBy({ job: "node" }, windows, Date.parse("2026-01-04T22:30:00Z")), ["mw"]);
    assert.deepEqual(maintainedBy({ job: "api" }, windows, Date.parse("2026-01-04T22:30:00Z")), []);
  });

  it("inhibits targets with equal labels while a source fires, never itself", () => {
    const rules = [{ source: m('alertname="HostDown"'), target: m('severity="warning"'), equal: ["instance"] }];
    const down = { fingerprint: "d", labels: { alertname: "HostDown", instance: "web-1", severity: "warning" } };
    const cpu = { fingerprint: "c", labels: { alertname: "HighCPU", instance: "web-1", severity: "warning" } };
    const other = { fingerprint: "o", labels: { alertname: "HighCPU", instance: "web-2", severity: "warning" } };
    assert.deepEqual(inhibitedBy(cpu, [down, cpu, other], rules), ["d"]);
    assert.deepEqual(inhibitedBy(other, [down, cpu, other], rules), []);
    assert.deepEqual(inhibitedBy(down, [down], rules), [], "an alert does not inhibit itself");
  });
});
