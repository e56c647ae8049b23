import type { Decision } from "@auspex/shared/contracts/incidents.ts";
import type { CauseKind, Severity } from "@auspex/shared/contracts/rca.ts";

export interface IncidentDecisionInput {
  readonly status: "open" | "acknowledged" | "resolved";
  readonly severity: Severity;
  readonly rcaStatus: "pending" | "ready" | "failed";
  /** Anomalies joined after the current RCA was computed. */
  readonly rcaStale: boolean;
  readonly confidence: number | null;
  readonly topCause: CauseKind | null;
  readonly targetCount: number;
}

/** Causes that destroy data or availability when left alone: automated changes should stop. */
const HARMFUL_CAUSES: ReadonlySet<CauseKind> = new Set(["disk_full", "memory_exhaustion"]);

/**
 * Seed 001's fail-safe decision for an incident. The first rule that applies wins; each names
 * itself so people can see why.
 */
export function decideIncident(i: IncidentDecisionInput): Decision {
  if (i.status === "resolved") return { action: "CONTINUE", rule: "resolved", reason: "The incident is resolved." };
  if (i.rcaStatus === "failed") {
    return { action: "RETRY", rule: "evidence_unavailable", reason: "The evidence could not be gathered; the analysis will be retried." };
  }
  if (i.rcaStale) {
    return { action: "REPROCESS", rule: "new_evidence", reason: "Anomalies joined after the last analysis; it is being redone with them." };
  }
  if (i.severity === "critical" && i.targetCount >= 3) {
    return { action: "HALT", rule: "critical_fleet_wide", reason: `Critical on ${i.targetCount} targets: stop deployments and automated changes until it is understood.` };
  }
  if (i.severity === "critical" && i.topCause !== null && HARMFUL_CAUSES.has(i.topCause) && (i.confidence ?? 0) >= 0.6) {
    return { action: "HALT", rule: "critical_resource_exhaustion", reason: "A resource is about to run out: stop writes and automated changes on the target." };
  }
  if (i.status === "open" && (i.severity === "critical" || i.severity === "high")) {
    return { action: "ESCALATE", rule: "severity_high", reason: `Severity ${i.severity} and nobody has acknowledged it: a person should look now.` };
  }
  if (i.rcaStatus === "pending") return { action: "CONTINUE", rule: "analysis_pending", reason: "The root-cause analysis is running." };
  return { action: "CONTINUE", rule: "within_tolerance", reason: i.status === "acknowledged" ? "Acknowledged and being handled." : `Severity ${i.severity}: keep watching.` };
}

export interface AnalysisDecisionInput {
  readonly health: "NORMAL" | "WARNING" | "CRITICAL";
  /** The window held no samples at all. */
  readonly noData: boolean;
  readonly evidenceFailed: boolean;
  readonly criticalTargets: number;
}

/** Seed 001's fail-safe decision for an on-demand analysis. */
export function decideAnalysis(a: AnalysisDecisionInput): Decision {
  if (a.evidenceFailed) return { action: "RETRY", rule: "evidence_unavailable", reason: "Some evidence could not be read; try the analysis again." };
  if (a.noData) return { action: "REPROCESS", rule: "no_data", reason: "No samples in the window: check collection, then analyse again." };
  if (a.health === "CRITICAL" && a.criticalTargets >= 3) {
    return { action: "HALT", rule: "critical_fleet_wide", reason: `Critical on ${a.criticalTargets} targets: stop deployments and automated changes.` };
  }
  if (a.health === "CRITICAL") return { action: "ESCALATE", rule: "health_critical", reason: "Critical findings: a person should look now." };
  if (a.health === "WARNING") return { action: "CONTINUE", rule: "health_warning", reason: "Warnings only: keep watching." };
  return { action: "CONTINUE", rule: "healthy", reason: "Nothing deviates." };
}
