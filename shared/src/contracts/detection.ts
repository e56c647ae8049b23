import { z } from "zod";
import { Timestamp } from "./auth.ts";

/** low = 0.5, medium = 1, high = 2; a number in between or beyond (0.1–10) works too. Higher flags smaller deviations. */
export const Sensitivity = z.union([z.enum(["low", "medium", "high"]), z.number().min(0.1, "must be at least 0.1").max(10, "must be at most 10")]);
export type Sensitivity = z.infer<typeof Sensitivity>;

const METRIC_PATTERN = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export const DetectionRule = z.strictObject({
  metric: z
    .string()
    .min(1)
    .max(200)
    .describe("A metric name, or a regular expression over names when it contains any of .*+?[]()|^$ (anchored, as PromQL's =~)")
    .superRefine((value, ctx) => {
      if (METRIC_PATTERN.test(value)) return;
      try {
        new RegExp(`^(?:${value})$`);
      } catch {
        ctx.addIssue({ code: "custom", message: "is neither a metric name nor a valid regular expression" });
      }
    }),
  labels: z
    .record(z.string(), z.string())
    .optional()
    .describe("Only series carrying all these label values (e.g. one instance): a per-series rule"),
  sensitivity: Sensitivity.optional(),
  direction: z.enum(["up", "down", "both"]).optional().describe("Which deviations alert"),
  min_relative_deviation: z.number().min(0).max(100).optional().describe("Deviations smaller than this share of the expected value never alert (0.1 = 10%)"),
  min_history: z.number().int().min(1).max(100_000).optional().describe("Samples learned before a series may alert"),
});
export type DetectionRule = z.infer<typeof DetectionRule>;

/** Seed 000's detection modes: who finds anomalies, and who writes the RCA's prose. */
export const DetectionMode = z.enum(["statistical", "llm", "hybrid"]);
export type DetectionMode = z.infer<typeof DetectionMode>;

export const DetectionSettings = z
  .strictObject({
    mode: DetectionMode.default("statistical").describe(
      "statistical: the streaming detectors find anomalies and the RCA is deterministic; hybrid: the same detection, the RCA's prose and fix plan written by the LLM from the evidence; llm: every batch interval the LLM reads a summary of recent metrics and reports the anomalies (seed 000), RCA as hybrid",
    ),
    sensitivity: Sensitivity.default("medium").describe("For every series no rule matches"),
    rules: z.array(DetectionRule).max(100, "must have at most 100 rules").default([]).describe("The first matching rule applies to a series"),
  })
  .meta({
    id: "DetectionSettings",
    examples: [{ sensitivity: "medium", rules: [{ metric: "node_memory_MemAvailable_bytes", direction: "down", min_relative_deviation: 0.1 }] }],
  });
export type DetectionSettings = z.infer<typeof DetectionSettings>;

export const DetectionSettingsResponse = DetectionSettings.extend({ updated_at: Timestamp.nullable() });
