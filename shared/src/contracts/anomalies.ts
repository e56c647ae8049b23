import { z } from "zod";
import { Timestamp } from "./auth.ts";
import { LimitParam, TimeParam } from "./params.ts";

export const AnomalyStatus = z.enum(["open", "closed"]);
export type AnomalyStatus = z.infer<typeof AnomalyStatus>;

export const AnomalyDirection = z.enum(["up", "down"]);

export const FeedbackVerdict = z.enum(["confirmed", "normal", "noise"]);
export type FeedbackVerdict = z.infer<typeof FeedbackVerdict>;

export const Anomaly = z
  .object({
    id: z.string(),
    metric: z.string().describe("The series' metric name"),
    labels: z.record(z.string(), z.string()).describe("The series' labels, __name__ included"),
    status: AnomalyStatus,
    started_at: Timestamp,
    ended_at: Timestamp.nullable().describe("null while open"),
    peak_score: z.number().describe("Highest score while open; > 1 means outside the expected band"),
    peak_at: Timestamp,
    observed: z.number().describe("The value at the peak"),
    expected: z.number().describe("What the detectors expected there"),
    lower: z.number().describe("Lower edge of the expected band at the peak"),
    upper: z.number().describe("Upper edge of the expected band at the peak"),
    direction: AnomalyDirection,
    summary: z.string().describe('For people, e.g. "observed 800MB, expected 4GB"'),
    votes: z.record(z.string(), z.number()).describe("Each detector's score at the peak"),
    contributors: z.array(z.object({ indicator: z.string(), weight: z.number() })).describe("Indicators that drove a multivariate detection"),
    incident_id: z.string().nullable().describe("The incident it was grouped into, if any"),
    feedback: z
      .object({ verdict: FeedbackVerdict, note: z.string().nullable(), at: Timestamp })
      .nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: "Anomaly" });
export type Anomaly = z.infer<typeof Anomaly>;

export const AnomalyFilters = z
  .strictObject({
    from: TimeParam.optional().describe("Anomalies still open at or ending after this time"),
    to: TimeParam.optional().describe("Anomalies started at or before this time"),
    target: z.string().min(1).max(300).optional().describe("The target's name, or the series' instance or job label"),
    min_score: z.coerce
      .number({ error: "must be a number" })
      .min(0, "must be at least 0")
      .optional()
      .describe("Only anomalies whose peak score reached this"),
    status: AnomalyStatus.optional(),
    limit: LimitParam.optional().describe("Default 100"),
  })
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, { path: ["to"], message: "must not be before from" });
export type AnomalyFilters = z.infer<typeof AnomalyFilters>;

export const AnomalyList = z.object({ anomalies: z.array(Anomaly) });

export const AnomalyFeedbackRequest = z
  .strictObject({
    verdict: FeedbackVerdict.describe("confirmed: a real problem; normal: expected behaviour (adapt to it); noise: not worth an alert (suppress the pattern)"),
    note: z.string().max(2000, "must be at most 2,000 characters").optional(),
  })
  .meta({ examples: [{ verdict: "noise", note: "nightly backup" }] });
export type AnomalyFeedbackRequest = z.infer<typeof AnomalyFeedbackRequest>;
