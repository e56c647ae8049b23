import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { httpError, rawBody, reply, replyJson, startFakeLlmServer, toolCalls, type FakeLlmServer } from "#test/support/fake-llm-server.ts";
import { ollama, openai, startAiKit, type AiKit } from "#test/modules/ai/ai-kit.ts";

const weatherTool = {
  name: "query_metrics",
  description: "Run a PromQL query",
  parameters: { type: "object", properties: { promql: { type: "string" } }, required: ["promql"] },
};

describe("AI layer: OpenAI-compatible provider", () => {
  let llm: FakeLlmServer;
  let kit: AiKit;
  before(async () => {
    llm = await startFakeLlmServer();
    kit = await startAiKit([openai("primary", llm.openaiUrl, "gpt-test", "sk-test-key-0000000000000000")]);
  });
  after(async () => {
    await kit.close();
    await llm.close();
  });

  it("sends a chat completion with the key, model and tools, and returns content, tool calls, usage and who answered", async () => {
    llm.enqueue(toolCalls([{ id: "call_1", name: "query_metrics", arguments: { promql: "up" } }], { usage: { prompt: 42, completion: 7 } }));
    const result = await kit.ai.chat({
      userId: kit.alice,
      purpose: "chat",
      messages: [{ role: "user", content: "Is everything up?" }],
      tools: [weatherTool],
    });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.toolCalls, [{ id: "call_1", name: "query_metrics", arguments: { promql: "up" }, rawArguments: '{"promql":"up"}' }]);
    assert.deepEqual(result.usage, { promptTokens: 42, completionTokens: 7, estimated: false });
    assert.equal(result.provider, "primary");
    assert.equal(result.model, "gpt-test");
    assert.equal(result.finishReason, "tool_calls");

    const sent = llm.requests.at(-1);
    assert.equal(sent?.path, "/v1/chat/completions");
    assert.equal(sent.headers.authorization, "Bearer sk-test-key-0000000000000000");
    assert.equal(sent.body?.model, "gpt-test");
    assert.equal(sent.body?.stream, false);
    assert.deepEqual(sent.body?.tools, [{ type: "function", function: weatherTool }]);
  });

  it("sends tool results back in the OpenAI shape", async () => {
    llm.enqueue(reply("Everything is up."));
    const result = await kit.ai.chat({
      userId: kit.alice,
      purpose: "chat",
      messages: [
        { role: "user", content: "Is everything up?" },
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "query_metrics", arguments: { promql: "up" }, rawArguments: '{"promql":"up"}' }] },
        { role: "tool", toolCallId: "call_1", name: "query_metrics", content: '[{"metric":{"job":"node"},"value":1}]' },
      ],
      tools: [weatherTool],
    });
    assert.ok(result.ok);
    assert.equal(result.content, "Everything is up.");
    const messages = llm.requests.at(-1)?.body?.messages;
    assert.deepEqual(messages?.[1], {
      role: "assistant",
      content: "",
      tool_calls: [{ id: "call_1", type: "function", function: { name: "query_metrics", arguments: '{"promql":"up"}' } }],
    });
    assert.deepEqual(messages?.[2], { role: "tool", tool_call_id: "call_1", content: '[{"metric":{"job":"node"},"value":1}]' });
  });

  it("asks for JSON with the schema (json_schema response format)", async () => {
    llm.enqueue(replyJson({ summary: "ok" }));
    const result = await kit.ai.completeStructured({ userId: kit.alice, purpose: "summary", system: "Summarise.", data: { x: 1 }, schema: z.object({ summary: z.string() }) });
    assert.ok(result.ok);
    assert.deepEqual(result.value, { summary: "ok" });
    const format = llm.requests.at(-1)?.body?.response_format;
    assert.equal(format?.type, "json_schema");
    assert.deepEqual((format?.json_schema?.schema as { required?: unknown }).required, ["summary"]);
  });

  it("estimates usage when the provider reports none, and says so", async () => {
    llm.enqueue(reply("12345678", { usage: null }));
    const result = await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "x".repeat(40) }] });
    assert.ok(result.ok);
    assert.deepEqual(result.usage, { promptTokens: 14, completionTokens: 2, estimated: true });
  });

  it("turns a client error, a malformed body and a body that is not a completion into typed failures", async () => {
    llm.enqueue(httpError(400, "context length exceeded"));
    const bad = await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "hi" }] });
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.reason === "unavailable");
    assert.deepEqual(
      !bad.ok && bad.attempts.map((a) => [a.outcome, a.status, a.message]),
      [["bad_request", 400, "HTTP 400: context length exceeded"]],
      "a 400 is not retried",
    );

    llm.enqueue(rawBody(200, "{not json"), rawBody(200, '{"id":"x","choices":[]}'));
    const malformed = await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "hi" }] });
    assert.ok(!malformed.ok);
    assert.deepEqual(
      malformed.attempts.map((a) => a.outcome),
      ["bad_response"],
    );
    const shapeless = await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "hi" }] });
    assert.ok(!shapeless.ok);
    assert.match(shapeless.attempts[0]?.message ?? "", /not a chat completion/);
  });
});

describe("AI layer: Ollama native provider", () => {
  let llm: FakeLlmServer;
  let kit: AiKit;
  before(async () => {
    llm = await startFakeLlmServer();
    kit = await startAiKit([ollama("primary", llm.url, "llama3.1:8b")]);
  });
  after(async () => {
    await kit.close();
    await llm.close();
  });

  it("calls /api/chat without streaming, with format and options, and reads prompt_eval_count/eval_count", async () => {
    llm.enqueue(replyJson({ summary: "disk nearly full on db-1" }, { usage: { prompt: 120, completion: 9 } }));
    const result = await kit.ai.completeStructured({
      userId: kit.bob,
      purpose: "summary",
      system: "Summarise.",
      data: { metric: "node_filesystem_avail_bytes" },
      schema: z.object({ summary: z.string() }),
      temperature: 0,
      maxTokens: 200,
    });
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.value, { summary: "disk nearly full on db-1" });
    assert.deepEqual(result.usage, { promptTokens: 120, completionTokens: 9, estimated: false });
    const sent = llm.requests.at(-1);
    assert.equal(sent?.path, "/api/chat");
    assert.equal(sent.body?.stream, false);
    assert.equal(sent.body?.model, "llama3.1:8b");
    assert.deepEqual((sent.body?.format as { required?: unknown }).required, ["summary"]);
    assert.deepEqual(sent.body?.options, { temperature: 0, num_predict: 200 });
  });

  it("maps Ollama tool calls (object arguments, no id) and sends tool results back", async () => {
    llm.enqueue(toolCalls([{ name: "query_metrics", arguments: { promql: "up == 0" } }]), reply("db-1 is down."));
    const first = await kit.ai.chat({ userId: kit.bob, purpose: "chat", messages: [{ role: "user", content: "What is down?" }], tools: [weatherTool] });
    assert.ok(first.ok);
    assert.deepEqual(first.toolCalls, [{ id: "call_0", name: "query_metrics", arguments: { promql: "up == 0" }, rawArguments: '{"promql":"up == 0"}' }]);
    assert.deepEqual(llm.requests.at(-1)?.body?.tools, [{ type: "function", function: weatherTool }]);
    const second = await kit.ai.chat({
      userId: kit.bob,
      purpose: "chat",
      messages: [
        { role: "user", content: "What is down?" },
        { role: "assistant", content: "", toolCalls: first.toolCalls },
        { role: "tool", toolCallId: "call_0", name: "query_metrics", content: '[{"instance":"db-1"}]' },
      ],
    });
    assert.ok(second.ok);
    const messages = llm.requests.at(-1)?.body?.messages;
    assert.deepEqual(messages?.[1], { role: "assistant", content: "", tool_calls: [{ function: { name: "query_metrics", arguments: { promql: "up == 0" } } }] });
    assert.deepEqual(messages?.[2], { role: "tool", content: '[{"instance":"db-1"}]', tool_name: "query_metrics" });
  });

  it("reads Ollama's error body", async () => {
    llm.enqueue(httpError(404, 'model "llama3.1:8b" not found, try pulling it first'));
    const result = await kit.ai.chat({ userId: kit.bob, purpose: "chat", messages: [{ role: "user", content: "hi" }] });
    assert.ok(!result.ok);
    assert.equal(result.attempts[0]?.message, 'HTTP 404: model "llama3.1:8b" not found, try pulling it first');
  });
});
