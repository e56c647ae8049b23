import { z } from "zod";
import { ProviderError, type ChatMessage, type LlmProvider, type ProviderRequest, type ProviderResponse, type ToolCall } from "#server/modules/ai/llm-provider.port.ts";
import { parseArguments, type ProviderOptions } from "#server/modules/ai/openai-provider.ts";
import { joinUrl, postJson, toWireTools } from "#server/modules/ai/provider-http.ts";

/*
 * Ollama's native API: POST /api/chat with stream:false. Structured output via
 * `format` (a JSON Schema, or "json"); usage from prompt_eval_count/eval_count;
 * tool calls carry arguments as an object and no id.
 */

const OllamaChat = z.object({
  model: z.string().optional(),
  message: z.object({
    content: z.string().nullish(),
    tool_calls: z
      .array(z.object({ function: z.object({ name: z.string(), arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish() }) }))
      .nullish(),
  }),
  done_reason: z.string().nullish(),
  prompt_eval_count: z.number().nonnegative().optional(),
  eval_count: z.number().nonnegative().optional(),
});

function toWireMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case "assistant":
      return {
        role: "assistant",
        content: message.content,
        ...(message.toolCalls && message.toolCalls.length > 0
          ? { tool_calls: message.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments ?? {} } })) }
          : {}),
      };
    case "tool":
      return { role: "tool", content: message.content, ...(message.name === undefined ? {} : { tool_name: message.name }) };
    default:
      return { role: message.role, content: message.content };
  }
}

export function createOllamaProvider(options: ProviderOptions): LlmProvider {
  const fetchImpl = options.fetch ?? fetch;
  const nowMs = options.nowMs ?? Date.now;
  const url = joinUrl(options.baseUrl, "/api/chat");
  return {
    name: options.name,
    kind: "ollama",
    model: options.model,
    async complete(request: ProviderRequest, signal: AbortSignal): Promise<ProviderResponse> {
      const body: Record<string, unknown> = { model: options.model, messages: request.messages.map(toWireMessage), stream: false };
      const modelOptions: Record<string, number> = {};
      if (request.temperature !== undefined) modelOptions.temperature = request.temperature;
      if (request.maxTokens !== undefined) modelOptions.num_predict = request.maxTokens;
      if (Object.keys(modelOptions).length > 0) body.options = modelOptions;
      if (request.tools && request.tools.length > 0) {
        body.tools = toWireTools(request.tools);
      }
      if (request.responseFormat?.kind === "json_schema") body.format = request.responseFormat.schema;
      else if (request.responseFormat?.kind === "json") body.format = "json";
      const headers: Record<string, string> = options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` };
      const json = await postJson(fetchImpl, url, body, headers, signal, nowMs);
      const parsed = OllamaChat.safeParse(json);
      if (!parsed.success) throw new ProviderError("bad_response", `not an Ollama chat response: ${parsed.error.issues[0]?.message ?? "unknown shape"}`);
      const toolCalls: ToolCall[] = (parsed.data.message.tool_calls ?? []).map((call, index) => {
        const args = call.function.arguments;
        const raw = typeof args === "string" ? args : JSON.stringify(args ?? {});
        return { id: `call_${index}`, name: call.function.name, arguments: typeof args === "string" ? parseArguments(args) : (args ?? {}), rawArguments: raw };
      });
      const { prompt_eval_count: prompt, eval_count: completion } = parsed.data;
      return {
        content: parsed.data.message.content ?? "",
        toolCalls,
        usage: prompt === undefined && completion === undefined ? undefined : { promptTokens: prompt ?? 0, completionTokens: completion ?? 0 },
        model: parsed.data.model ?? options.model,
        finishReason: parsed.data.done_reason ?? undefined,
      };
    },
  };
}
