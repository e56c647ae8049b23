import { z } from "zod";
import { Timestamp } from "./auth.ts";

export const Severity = z.enum(["low", "medium", "high", "critical"]);
export type Severity = z.infer<typeof Severity>;

/** The failure modes the deterministic ranking knows (node_exporter signals plus service latency). */
export const CauseKind = z.enum([
  "memory_exhaustion",
  "disk_full",
  "cpu_saturation",
  "cpu_steal",
  "io_saturation",
  "network_errors",
  "process_restart",
  "dependency_latency",
  "unknown",
]);
export type CauseKind = z.infer<typeof CauseKind>;

/** One observed fact behind a claim: the series, the PromQL that shows it, observed against expected. */
export const Evidence = z
  .object({
    id: z.string().describe('Stable within one RCA ("e1", "e2", …); causes and LLM text cite these'),
    kind: z.enum(["anomaly", "series", "onset", "pattern", "topology"]),
    claim: z.string().describe("One sentence for people"),
    metric: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    promql: z.string().nullable().describe("A query over the user's data that shows the fact"),
    observed: z.number().nullable(),
    expected: z.number().nullable(),
    unit: z.string().nullable().describe("bytes, seconds, ratio, percent, …"),
    at: Timestamp.nullable().describe("When it was observed (the onset for kind onset)"),
    anomaly_id: z.string().nullable(),
  })
  .meta({ id: "Evidence" });
export type Evidence = z.infer<typeof Evidence>;

export const RankedCause = z
  .object({
    kind: CauseKind,
    title: z.string(),
    score: z.number().min(0).max(1).describe("Relative belief after ranking; the causes' scores sum to at most 1"),
    explanation: z.string(),
    evidence_ids: z.array(z.string()),
    targets: z.array(z.string()).describe("Instances (or hosts) the cause sits on"),
  })
  .meta({ id: "RankedCause" });
export type RankedCause = z.infer<typeof RankedCause>;

export const FixPlan = z.object({ immediate: z.array(z.string()), prevention: z.array(z.string()) });
export type FixPlan = z.infer<typeof FixPlan>;

/** Seed 000's RCA shape, plus the ranked causes and evidence it rests on. */
export const Rca = z
  .object({
    title: z.string(),
    severity: Severity,
    summary: z.string(),
    root_cause: z.string(),
    fix_plan: FixPlan,
    confidence: z.number().min(0).max(1),
    causes: z.array(RankedCause).describe("Most likely first"),
    evidence: z.array(Evidence),
    source: z.object({
      kind: z.enum(["deterministic", "llm"]),
      provider: z.string().nullable(),
      model: z.string().nullable(),
    }),
    generated_at: Timestamp,
  })
  .meta({ id: "Rca" });
export type Rca = z.infer<typeof Rca>;
