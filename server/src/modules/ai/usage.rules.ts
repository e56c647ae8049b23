import type { ChatMessage } from "#server/modules/ai/llm-provider.port.ts";

/** Rough token count when a provider reports none: about 4 characters a token for English and JSON. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** Estimated prompt tokens of a request, with a few tokens of framing per message. */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += 4 + estimateTokens(message.content);
    if (message.role === "assistant") for (const call of message.toolCalls ?? []) total += estimateTokens(call.name) + estimateTokens(call.rawArguments);
  }
  return total;
}

/** Start of the UTC day containing `now` (the budget window). */
export function utcDayStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export type BudgetDecision = { allowed: true; remaining: number | undefined } | { allowed: false; used: number; budget: number };

/** Whether a call estimated at `estimate` prompt tokens fits the user's daily budget (0: unlimited). */
export function checkBudget(budget: number, usedToday: number, estimate: number): BudgetDecision {
  if (budget <= 0) return { allowed: true, remaining: undefined };
  if (usedToday + estimate > budget) return { allowed: false, used: usedToday, budget };
  return { allowed: true, remaining: budget - usedToday };
}
