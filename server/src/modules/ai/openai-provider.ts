import { z } from "zod";
import {
  ProviderError,
  type ChatMessage,
  type LlmProvider,
  type ProviderRequest,
  type ProviderResponse,
  type ToolCall,
} from "#server/modules/ai/llm-provider.port.ts";
import { type Fetch, joinUrl, postJson, toWireTools } from "#server/modules/ai/provider-http.ts";

/*
 * Any OpenAI-compatible chat-completions API: OpenAI, Groq, vLLM, LM Studio,
 * llama.cpp server, Ollama's /v1. Only fields every one of them implements are
 * sent; the answer is read leniently (zod, unknown fields ignored).
 */

const ChatCompletion = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().optional(),
                function: z.object({ name: z.string(), arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish() }),
              }),
            )
            .nullish(),
        }),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: z.number().nonnegative(), completion_tokens: z.number().nonnegative().optional() }).nullish(),
});

export interface ProviderOptions {
  name: string;
  baseUrl: string;
  model: string;
  apiKey?: string;
  fetch?: Fetch;
  nowMs?: () => number;
}

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case "assistant":
      return {
        role: "assistant",
        content: message.content,
        ...(message.toolCalls && message.toolCalls.length > 0
          ? { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: "function", function: { name: call.name, arguments: call.rawArguments } })) }
          : {}),
      };
    case "tool":
      return { role: "tool", tool_call_id: message.toolCallId, content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

export function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

export function createOpenAiProvider(options: ProviderOptions): LlmProvider {
  const fetchImpl = options.fetch ?? fetch;
  const nowMs = options.nowMs ?? Date.now;
  const url = joinUrl(options.baseUrl, "/chat/completions");
  return {
    name: options.name,
    kind: "openai",
    model: options.model,
    async complete(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
      const body: Record<string, unknown> = {
        model: options.model,
        messages: request.messages.map(toWireMessage),
        stream: false,
      };
      if (request.temperature !== undefined) body.temperature = request.temperature;
      if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
      if (request.tools && request.tools.length > 0) {
        body.tools = toWireTools(request.tools);
      }
      if (request.responseFormat?.kind === "json_schema") {
        body.response_format = { type: "json_schema", json_schema: { name: request.responseFormat.name, schema: request.responseFormat.schema, strict: false } };
      } else if (request.responseFormat?.kind === "json") {
        body.response_format = { type: "json_object" };
      }
      const headers: Record<string, string> = options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` };
      const json = await postJson(fetchImpl, url, body, headers, signal, nowMs);
      const parsed = ChatCompletion.safeParse(json);
      if (!parsed.success) throw new ProviderError("bad_response", `not a chat completion: ${parsed.error.issues[0]?.message ?? "unknown shape"}`);
      const choice = parsed.data.choices[0];
      if (choice === undefined) throw new ProviderError("bad_response", "no choices");
      const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((call, index) => {
        const raw = typeof call.function.arguments === "string" ? call.function.arguments : JSON.stringify(call.function.arguments ?? {});
        return { id: call.id ?? `call_${index}`, name: call.function.name, arguments: parseArguments(raw), rawArguments: raw };
      });
      const usage = parsed.data.usage;
      return {
        content: choice.message.content ?? "",
        toolCalls,
        usage: usage === undefined || usage === null ? undefined : { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens ?? 0 },
        model: parsed.data.model ?? options.model,
        finishReason: choice.finish_reason ?? undefined,
      };
    },
  };
}
