import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  chooseIncident,
  coMovement,
  DEFAULT_GROUPING,
  hostOf,
  incidentToOpen,
  isQuiet,
  relationOf,
  severityFromAnomalies,
  type ActiveIncident,
  type AnomalyLite,
} from "#server/modules/incidents/incident-grouping.rules.ts";

const MIN = 60_000;
const lite = (id: string, labels: Record<string, string>, startedAt: number, peakScore = 1.5, endedAt: number | null = null): AnomalyLite => ({
  id,
  labels,
  startedAt,
  endedAt,
  peakScore,
  lastSeenAt: endedAt ?? startedAt,
});
const incident = (id: string, members: AnomalyLite[], lastActivityAt: number): ActiveIncident => ({
  id,
  startedAt: Math.min(...members.map((m) => m.startedAt)),
  lastActivityAt,
  members: new Map(members.map((m) => [m.id, m])),
});

describe("incident grouping rules", () => {
  it("reads the host from instance (with or without port, IPv6) or a host label", () => {
    assert.equal(hostOf({ instance: "web-1:9100" }), "web-1");
    assert.equal(hostOf({ instance: "[2001:db8::1]:9100" }), "2001:db8::1");
    assert.equal(hostOf({ instance: "2001:db8::1" }), "2001:db8::1");
    assert.equal(hostOf({ instance: "Web-1" }), "web-1");
    assert.equal(hostOf({ hostname: "db-2", instance: "10.0.0.2:9100" }), "db-2");
    assert.equal(hostOf({ job: "x" }), undefined);
  });

  it("relates series by host, dependency label, service label or one metric across a job; not by job alone", () => {
    const node = (name: string, instance: string) => ({ __name__: name, instance, job: "node" });
    assert.equal(relationOf(node("node_load1", "web-1:9100"), { __name__: "http_errors", instance: "web-1:8080", job: "api" }), "same_host");
    assert.equal(relationOf({ __name__: "db_latency", instance: "api-1:8080", dependency: "db-1:5432" }, node("node_load1", "db-1:9100")), "dependency");
    assert.equal(relationOf({ __name__: "a", instance: "x:1", service: "checkout" }, { __name__: "b", instance: "y:1", service: "checkout" }), "same_service");
    assert.equal(relationOf(node("node_load1", "web-1:9100"), node("node_load1", "web-2:9100")), "fleet");
    assert.equal(relationOf(node("node_load1", "web-1:9100"), node("node_memory_MemAvailable_bytes", "web-2:9100")), undefined);
  });

  it("joins the incident with the most strongly related member among those still taking anomalies", () => {
    const t0 = 1_000 * MIN;
    const fleet = incident("fleet", [lite("a", { __name__: "node_load1", instance: "web-2:9100", job: "node" }, t0)], t0);
    const host = incident("host", [lite("b", { __name__: "node_memory_MemAvailable_bytes", instance: "web-1:9100", job: "node" }, t0)], t0);
    const anomaly = lite("c", { __name__: "node_load1", instance: "web-1:9100", job: "node" }, t0 + 2 * MIN);
    assert.deepEqual(chooseIncident(anomaly, [fleet, host], DEFAULT_GROUPING), { incidentId: "host", relation: "same_host", memberId: "b" });

    // All members closed long ago: the incident no longer takes anomalies.
    const closed = incident("old", [lite("d", { __name__: "node_load1", instance: "web-1:9100", job: "node" }, t0, 2, t0 + MIN)], t0 + MIN);
    assert.equal(chooseIncident(lite("e", { instance: "web-1:9100" }, t0 + 30 * MIN), [closed], DEFAULT_GROUPING), undefined);
    assert.equal(chooseIncident(lite("e", { instance: "web-1:9100" }, t0 + 9 * MIN), [closed], DEFAULT_GROUPING)?.incidentId, "old");
  });

  it("opens an incident for related anomalies, a strong one, or a lasting clear one; not for a short or faint blip", () => {
    const t0 = 1_000 * MIN;
    const mem = lite("m", { __name__: "node_memory_MemAvailable_bytes", instance: "web-1:9100" }, t0, 2.1);
    const swap = lite("s", { __name__: "node_memory_SwapFree_bytes", instance: "web-1:9100" }, t0 + MIN);
    const other = lite("o", { __name__: "node_load1", instance: "db-1:9100" }, t0 + MIN, 2.5);
    assert.deepEqual(incidentToOpen(swap, [mem, swap, other], t0 + MIN, DEFAULT_GROUPING)?.memberIds, ["s", "m"]);
    assert.equal(incidentToOpen(other, [mem, swap, other], t0 + 2 * MIN, DEFAULT_GROUPING), undefined, "unrelated, young");
    assert.deepEqual(incidentToOpen(lite("x", { instance: "z:1" }, t0, 3.2), [], t0, DEFAULT_GROUPING)?.memberIds, ["x"]);
    assert.deepEqual(incidentToOpen(other, [other], t0 + 7 * MIN, DEFAULT_GROUPING)?.memberIds, ["o"], "lasted at 2.5");

    // Faint: a lasting 1.5 alone, or a pair of 1.5s, is a record only; three related ones are an incident.
    const faint = (id: string, name: string) => lite(id, { __name__: name, instance: "web-2:9100" }, t0, 1.5);
    const [a, b, c] = [faint("a", "node_load1"), faint("b", "node_load5"), faint("c", "node_load15")];
    assert.equal(incidentToOpen(a, [a], t0 + 30 * MIN, DEFAULT_GROUPING), undefined);
    assert.equal(incidentToOpen(b, [a, b], t0 + 30 * MIN, DEFAULT_GROUPING), undefined);
    assert.deepEqual(incidentToOpen(c, [a, b, c], t0 + MIN, DEFAULT_GROUPING)?.memberIds, ["c", "a", "b"]);
  });

  it("is quiet only once every anomaly closed and the quiet period passed in sample time", () => {
    const t0 = 1_000 * MIN;
    const open = incident("i", [lite("a", { instance: "h:1" }, t0)], t0);
    assert.equal(isQuiet(open, t0 + 60 * MIN, DEFAULT_GROUPING), false);
    const done = incident("i", [lite("a", { instance: "h:1" }, t0, 2, t0 + 5 * MIN)], t0 + 5 * MIN);
    assert.equal(isQuiet(done, t0 + 19 * MIN, DEFAULT_GROUPING), false);
    assert.equal(isQuiet(done, t0 + 20 * MIN, DEFAULT_GROUPING), true);
  });

  it("grades severity by peak, count and spread", () => {
    const h = (id: string, instance: string, score: number) => lite(id, { instance }, 0, score);
    assert.equal(severityFromAnomalies([h("a", "a:1", 1.2)]), "low");
    assert.equal(severityFromAnomalies([h("a", "a:1", 2.5)]), "medium");
    assert.equal(severityFromAnomalies([h("a", "a:1", 4.5)]), "high");
    assert.equal(severityFromAnomalies([h("a", "a:1", 1.2), h("b", "b:1", 1.2), h("c", "c:1", 1.2)]), "critical");
  });

  it("measures co-movement on first differences (shared trend alone is not co-movement)", () => {
    const a = [1, 3, 2, 5, 4, 8, 7, 9];
    const b = a.map((v) => v * 10 + 5);
    assert.ok(coMovement(a, b) > 0.99);
    assert.ok(coMovement(a, a.map((v) => -v)) < -0.99);
    const trend = [1, 2, 3, 4, 5, 6, 7, 8];
    const zigzag = [1, 3, 3, 5, 5, 7, 7, 9];
    assert.ok(Math.abs(coMovement(trend, zigzag)) < 0.5);
    assert.equal(coMovement([1, 2], [1, 2]), 0);
  });
});
