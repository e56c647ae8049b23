/** One request to an LLM provider that got an answer: who asked, for what, which provider and model, tokens spent. */
export interface AiUsageTable {
  id: string;
  user_id: string;
  /** What the call was for (e.g. rca, chat, anomaly_summary); set by the caller. */
  purpose: string;
  /** Configured provider name (primary, fallback, …). */
  provider: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  /** 1 when the provider reported no usage and the counts are estimates, else 0. */
  estimated: number;
  /** success, or invalid_output when the answer failed validation (tokens were spent all the same). */
  outcome: string;
  duration_ms: number;
  created_at: string;
}
