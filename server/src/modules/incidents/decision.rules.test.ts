import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideAnalysis, decideIncident, type IncidentDecisionInput } from "#server/modules/incidents/decision.rules.ts";

const base: IncidentDecisionInput = { status: "open", severity: "medium", rcaStatus: "ready", rcaStale: false, confidence: 0.7, topCause: "cpu_saturation", targetCount: 1 };

describe("fail-safe decisions", () => {
  it("chooses each action by the first rule that applies, and names the rule", () => {
    assert.deepEqual(
      [
        decideIncident({ ...base, status: "resolved", severity: "critical" }),
        decideIncident({ ...base, rcaStatus: "failed", severity: "critical" }),
        decideIncident({ ...base, rcaStale: true }),
        decideIncident({ ...base, severity: "critical", targetCount: 4 }),
        decideIncident({ ...base, severity: "critical", topCause: "disk_full", confidence: 0.8 }),
        decideIncident({ ...base, severity: "critical", topCause: "disk_full", confidence: 0.3 }),
        decideIncident({ ...base, severity: "high" }),
        decideIncident({ ...base, severity: "high", status: "acknowledged" }),
        decideIncident({ ...base, rcaStatus: "pending" }),
        decideIncident(base),
      ].map((d) => `${d.action}:${d.rule}`),
      [
        "CONTINUE:resolved",
        "RETRY:evidence_unavailable",
        "REPROCESS:new_evidence",
        "HALT:critical_fleet_wide",
        "HALT:critical_resource_exhaustion",
        "ESCALATE:severity_high",
        "ESCALATE:severity_high",
        "CONTINUE:within_tolerance",
        "CONTINUE:analysis_pending",
        "CONTINUE:within_tolerance",
      ],
    );
  });

  it("decides on-demand analyses from health, data and evidence", () => {
    const ok = { health: "NORMAL", noData: false, evidenceFailed: false, criticalTargets: 0 } as const;
    assert.deepEqual(
      [
        decideAnalysis({ ...ok, evidenceFailed: true }),
        decideAnalysis({ ...ok, noData: true }),
        decideAnalysis({ ...ok, health: "CRITICAL", criticalTargets: 3 }),
        decideAnalysis({ ...ok, health: "CRITICAL", criticalTargets: 1 }),
        decideAnalysis({ ...ok, health: "WARNING" }),
        decideAnalysis(ok),
      ].map((d) => d.action),
      ["RETRY", "REPROCESS", "HALT", "ESCALATE", "CONTINUE", "CONTINUE"],
    );
  });
});
