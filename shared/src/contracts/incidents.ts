import { z } from "zod";
import { Anomaly } from "./anomalies.ts";
import { Timestamp } from "./auth.ts";
import { LimitParam, TimeParam } from "./params.ts";
import { CauseKind, Rca, Severity } from "./rca.ts";

export const IncidentStatus = z.enum(["open", "acknowledged", "resolved"]);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/** Seed 001's fail-safe decisions. */
export const DecisionAction = z.enum(["CONTINUE", "RETRY", "REPROCESS", "ESCALATE", "HALT"]);
export type DecisionAction = z.infer<typeof DecisionAction>;

export const Decision = z
  .object({
    action: DecisionAction,
    rule: z.string().describe("The rule that chose the action"),
    reason: z.string(),
  })
  .meta({ id: "Decision" });
export type Decision = z.infer<typeof Decision>;

export const Incident = z
  .object({
    id: z.string(),
    title: z.string(),
    severity: Severity,
    status: IncidentStatus,
    started_at: Timestamp,
    last_activity_at: Timestamp.describe("Sample time of the latest anomaly activity"),
    resolved_at: Timestamp.nullable(),
    targets: z.array(z.string()).describe("Affected instances"),
    anomaly_count: z.number().int(),
    open_anomaly_count: z.number().int(),
    root_cause: z.string().nullable().describe("The RCA's root cause, once analysed"),
    confidence: z.number().nullable(),
    rca_status: z.enum(["pending", "ready", "failed"]),
    decision: Decision,
    acknowledged_at: Timestamp.nullable(),
    acknowledged_note: z.string().nullable(),
    feedback: z
      .object({ rca_correct: z.boolean(), actual_cause: z.string().nullable(), note: z.string().nullable(), at: Timestamp })
      .nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: "Incident" });
export type Incident = z.infer<typeof Incident>;

export const IncidentEventKind = z.enum([
  "opened",
  "anomaly_joined",
  "anomaly_closed",
  "severity_changed",
  "rca_ready",
  "rca_failed",
  "narration_failed",
  "decision",
  "acknowledged",
  "resolved",
  "reopened",
  "feedback",
]);

export const IncidentEvent = z.object({
  at: Timestamp,
  kind: IncidentEventKind,
  message: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type IncidentEvent = z.infer<typeof IncidentEvent>;

export const IncidentDetail = Incident.extend({
  anomalies: z.array(Anomaly),
  rca: Rca.nullable(),
  rca_error: z.string().nullable(),
  timeline: z.array(IncidentEvent).describe("Oldest first"),
}).meta({ id: "IncidentDetail" });
export type IncidentDetail = z.infer<typeof IncidentDetail>;



export const IncidentFilters = z
  .strictObject({
    status: IncidentStatus.optional(),
    severity: Severity.optional().describe("Only incidents of this severity"),
    from: TimeParam.optional().describe("Incidents not resolved before this time"),
    to: TimeParam.optional().describe("Incidents started at or before this time"),
    target: z.string().min(1).max(300).optional().describe("An affected instance"),
    limit: LimitParam.optional().describe("Default 100"),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, { path: ["to"], message: "must not be before from" });
export type IncidentFilters = z.infer<typeof IncidentFilters>;

export const IncidentList = z.object({ incidents: z.array(Incident) });

export const AcknowledgeIncidentRequest = z
  .strictObject({ note: z.string().max(2000, "must be at most 2,000 characters").optional() })
  .meta({ examples: [{ note: "looking into it" }] });
export type AcknowledgeIncidentRequest = z.infer<typeof AcknowledgeIncidentRequest>;

export const ResolveIncidentRequest = z
  .strictObject({ note: z.string().max(2000, "must be at most 2,000 characters").optional() })
  .meta({ examples: [{ note: "restarted the service" }] });
export type ResolveIncidentRequest = z.infer<typeof ResolveIncidentRequest>;

export const IncidentFeedbackRequest = z
  .strictObject({
    rca_correct: z.boolean({ error: "must be true or false" }),
    actual_cause: z.union([CauseKind, z.string().min(1).max(500)]).optional().describe("What it really was, when the RCA was wrong"),
    note: z.string().max(2000, "must be at most 2,000 characters").optional(),
  })
  .meta({ examples: [{ rca_correct: false, actual_cause: "disk_full", note: "the log volume filled" }] });
export type IncidentFeedbackRequest = z.infer<typeof IncidentFeedbackRequest>;

export const RcaListItem = z
  .object({
    incident_id: z.string(),
    title: z.string(),
    severity: Severity,
    root_cause: z.string(),
    confidence: z.number(),
    top_cause: CauseKind,
    source: Rca.shape.source,
    generated_at: Timestamp,
  })
  .meta({ id: "RcaListItem" });

export const RcaFilters = z
  .strictObject({ from: TimeParam.optional(), to: TimeParam.optional(), limit: LimitParam.optional().describe("Default 100") })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, { path: ["to"], message: "must not be before from" });
export type RcaFilters = z.infer<typeof RcaFilters>;

export const RcaList = z.object({ rca: z.array(RcaListItem) });

export const AnalysisBatch = z
  .object({
    id: z.string(),
    mode: z.enum(["statistical", "llm", "hybrid"]),
    window_start: Timestamp,
    window_end: Timestamp,
    series_count: z.number().int(),
    sample_count: z.number().int(),
    anomaly_count: z.number().int(),
    incident_id: z.string().nullable(),
    status: z.enum(["analysed", "failed", "empty"]),
    detail: z.string().nullable(),
    llm: z.object({ provider: z.string(), model: z.string(), tokens: z.number().int() }).nullable(),
    created_at: Timestamp,
  })
  .meta({ id: "AnalysisBatch" });
export type AnalysisBatch = z.infer<typeof AnalysisBatch>;

export const BatchFilters = z
  .strictObject({ from: TimeParam.optional(), to: TimeParam.optional(), limit: LimitParam.optional().describe("Default 100") })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, { path: ["to"], message: "must not be before from" });
export type BatchFilters = z.infer<typeof BatchFilters>;

export const BatchList = z.object({ batches: z.array(AnalysisBatch) });

/** Seed 000's /stats: counts per collection. */
export const Stats = z
  .object({
    batches: z.number().int(),
    incidents: z.number().int(),
    open_incidents: z.number().int(),
    anomalies: z.number().int(),
    open_anomalies: z.number().int(),
    rca: z.number().int(),
    targets: z.number().int(),
  })
  .meta({ id: "Stats" });
export type Stats = z.infer<typeof Stats>;

export const AnalysisRequest = z
  .strictObject({
    lookback_minutes: z
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(5, "must be at least 5")
      .max(1440, "must be at most 1440 (24 hours)")
      .default(30),
    focus_areas: z
      .array(z.string().min(1).max(100))
      .max(20, "must have at most 20 entries")
      .default([])
      .describe("e.g. memory, cpu, disk, network, latency, errors, or an instance; empty = everything"),
  })
  .meta({ examples: [{ lookback_minutes: 30, focus_areas: ["memory", "latency"] }] });
export type AnalysisRequest = z.infer<typeof AnalysisRequest>;

/** Seed 001's analysis, with the evidence and the decision behind it. */
export const AnalysisResult = z
  .object({
    analysis: z.string(),
    severity: z.enum(["NORMAL", "WARNING", "CRITICAL"]),
    key_findings: z.array(z.string()),
    recommendations: z.array(z.string()),
    confidence: z.number().min(0).max(1),
    decision: Decision,
    window: z.object({ from: Timestamp, to: Timestamp }),
    open_incidents: z.array(z.object({ id: z.string(), title: z.string(), severity: Severity })),
    rca: Rca.nullable().describe("The ranked causes over the window, when anything deviated"),
    source: Rca.shape.source,
  })
  .meta({ id: "AnalysisResult" });
export type AnalysisResult = z.infer<typeof AnalysisResult>;
