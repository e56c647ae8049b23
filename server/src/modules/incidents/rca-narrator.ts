import type { Anomaly } from "@auspex/shared/contracts/anomalies.ts";
import type { Rca } from "@auspex/shared/contracts/rca.ts";
import type { AiService } from "#server/modules/ai/index.ts";
import { NARRATION_SYSTEM, mergeNarration, narrationData, narrationSchemaFor } from "#server/modules/incidents/rca-narration.rules.ts";
import type { Clock } from "#server/platform/clock.ts";

export type DetectionMode = "statistical" | "llm" | "hybrid";

/** The narrator's answer: a narrated RCA, why there is none, or undefined when the user's mode has no LLM. */
export type NarrationOutcome = { ok: true; rca: Rca } | { ok: false; reason: string } | undefined;

export type RcaNarrator = (userId: string, rca: Rca, anomalies: readonly Anomaly[]) => Promise<NarrationOutcome>;

/**
 * The LLM layer over a deterministic RCA, for users in `hybrid` or `llm` mode: prose and fix plan
 * from the evidence, validated (one repair attempt in the AI layer); otherwise the deterministic
 * text stands and the reason is returned for the record.
 */
export function createRcaNarrator(deps: { ai: Pick<AiService, "completeStructured">; modeOf: (userId: string) => Promise<DetectionMode>; clock: Clock }): RcaNarrator {
  return async (userId, rca, anomalies) => {
    if ((await deps.modeOf(userId)) === "statistical") return undefined;
    const result = await deps.ai.completeStructured({
      userId,
      purpose: "rca",
      system: NARRATION_SYSTEM,
      data: narrationData(rca, anomalies),
      schema: narrationSchemaFor(rca, anomalies),
      schemaName: "rca_narration",
      temperature: 0.2,
    });
    if (!result.ok) return { ok: false, reason: `${result.reason}: ${result.message}` };
    return { ok: true, rca: mergeNarration(rca, result.value, { provider: result.provider, model: result.model }, deps.clock.now().toISOString()) };
  };
}
