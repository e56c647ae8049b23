import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { hang, httpError, reply, startFakeLlmServer, type FakeLlmServer } from "#test/support/fake-llm-server.ts";
import { ollama, openai, startAiKit, type AiKit } from "#test/modules/ai/ai-kit.ts";

const ask = (kit: AiKit, signal?: AbortSignal) =>
  kit.ai.chat({ userId: kit.alice, purpose: "rca", messages: [{ role: "user", content: "why?" }], ...(signal ? { signal } : {}) });

describe("AI layer: fallback, retries, timeouts, circuit breaker", () => {
  let primary: FakeLlmServer;
  let fallback: FakeLlmServer;
  let kit: AiKit;
  beforeEach(async () => {
    primary = await startFakeLlmServer();
    fallback = await startFakeLlmServer();
    kit = await startAiKit([openai("primary", primary.openaiUrl, "gpt-a"), ollama("fallback", fallback.url, "llama-b")]);
  });
  afterEach(async () => {
    await kit.close();
    await primary.close();
    await fallback.close();
  });

  it("answers from the fallback when the primary keeps failing, and metrics and spans say so", async () => {
    primary.handle(() => httpError(500, "upstream exploded"));
    fallback.enqueue(reply("from the fallback", { usage: { prompt: 30, completion: 4 } }));
    const result = await ask(kit);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.content, "from the fallback");
    assert.equal(result.provider, "fallback");
    assert.equal(result.model, "llama-b");
    assert.equal(primary.requests.length, 3, "1 attempt + 2 retries on the primary");
    assert.deepEqual(
      result.attempts.map((a) => [a.provider, a.outcome]),
      [
        ["primary", "server_error"],
        ["primary", "server_error"],
        ["primary", "server_error"],
        ["fallback", "success"],
      ],
    );

    assert.equal(await kit.metric("ai_api_calls_total", { provider: "primary", model: "gpt-a", purpose: "rca", outcome: "server_error" }), 3);
    assert.equal(await kit.metric("ai_api_calls_total", { provider: "fallback", model: "llama-b", purpose: "rca", outcome: "success" }), 1);
    assert.equal(await kit.metric("ai_errors_total", { reason: "server_error", provider: "primary" }), 3);
    assert.equal(await kit.metric("ai_tokens_used_total", { kind: "prompt", provider: "fallback", model: "llama-b", purpose: "rca" }), 30);
    assert.equal(await kit.metric("ai_tokens_used_total", { kind: "completion", provider: "fallback", model: "llama-b", purpose: "rca" }), 4);
    assert.equal(await kit.metric("ai_api_duration_seconds", { provider: "fallback", model: "llama-b", purpose: "rca" }), 1);

    const spans = kit.spans();
    const call = spans.find((s) => s.name === "ai.chat");
    assert.equal(call?.attributes["auspex.ai.provider"], "fallback");
    assert.equal(call.attributes["auspex.ai.fallback"], true);
    assert.equal(call.attributes["gen_ai.usage.input_tokens"], 30);
    assert.equal(call.attributes["user.id"], kit.alice);
    const requests = spans.filter((s) => s.name.startsWith("ai.request"));
    assert.deepEqual(
      requests.map((s) => [s.name, s.attributes["auspex.ai.outcome"], s.parentSpanContext?.spanId === call.spanContext().spanId]),
      [
        ["ai.request primary", "server_error", true],
        ["ai.request primary", "server_error", true],
        ["ai.request primary", "server_error", true],
        ["ai.request fallback", "success", true],
      ],
    );
  });

  it("backs off exponentially with jitter between retries, and honours Retry-After", async () => {
    primary.enqueue(httpError(503, "busy"), httpError(503, "busy"), reply("third time lucky"));
    const first = await ask(kit);
    assert.ok(first.ok);
    assert.equal(first.provider, "primary");
    // base 500 ms, random 0.5 → 375 ms, then 750 ms
    assert.deepEqual(kit.timers.sleeps, [375, 750]);

    primary.enqueue(httpError(429, "slow down", { retryAfter: "7" }), reply("ok"));
    const second = await ask(kit);
    assert.ok(second.ok);
    assert.deepEqual(kit.timers.sleeps.slice(2), [7000], "Retry-After wins over the shorter backoff");

    primary.enqueue(httpError(429, "come back in an hour", { retryAfter: "3600" }));
    fallback.enqueue(reply("fallback instead of waiting an hour"));
    const third = await ask(kit);
    assert.ok(third.ok);
    assert.equal(third.provider, "fallback");
    assert.deepEqual(kit.timers.sleeps.slice(3), [], "no wait when Retry-After is beyond the cap");
    assert.equal(await kit.metric("ai_errors_total", { reason: "rate_limited", provider: "primary" }), 2);
  });

  it("abandons a request at the per-call timeout and moves on", async () => {
    primary.handle(() => hang());
    fallback.enqueue(reply("fallback after timeouts"));
    const pending = ask(kit);
    for (let request = 1; request <= 3; request++) {
      await primary.waitForRequests(request);
      assert.deepEqual(kit.timers.pending(), [30_000], "the request runs under the configured timeout");
      kit.timers.fireAll();
    }
    const result = await pending;
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.provider, "fallback");
    assert.deepEqual(
      result.attempts.slice(0, 3).map((a) => [a.outcome, a.message]),
      Array.from({ length: 3 }, () => ["timeout", "no answer within 30000 ms"]),
    );
    assert.equal(await kit.metric("ai_errors_total", { reason: "timeout", provider: "primary" }), 3);
    assert.deepEqual(kit.timers.pending(), [], "no timer left armed");
  });

  it("stops at once when the caller cancels, without blaming the provider", async () => {
    primary.handle(() => hang());
    const controller = new AbortController();
    const pending = ask(kit, controller.signal);
    await primary.waitForRequests(1);
    controller.abort();
    const result = await pending;
    assert.ok(!result.ok);
    assert.equal(result.reason, "cancelled");
    assert.equal(fallback.requests.length, 0);
    assert.deepEqual(kit.ai.describeProviders().map((p) => p.circuit), ["closed", "closed"]);
  });

  it("opens the circuit after consecutive failures, skips the provider, then probes it once after the cool-down", async () => {
    primary.handle(() => httpError(502, "bad gateway"));
    fallback.handle(() => reply("fallback"));
    // 3 consecutive failures (circuit.failures = 3) open the circuit within the first call.
    const first = await ask(kit);
    assert.ok(first.ok);
    assert.equal(primary.requests.length, 3);
    assert.deepEqual(kit.ai.describeProviders(), [
      { name: "primary", kind: "openai", model: "gpt-a", circuit: "open" },
      { name: "fallback", kind: "ollama", model: "llama-b", circuit: "closed" },
    ]);

    const skipped = await ask(kit);
    assert.ok(skipped.ok);
    assert.equal(primary.requests.length, 3, "an open circuit sends nothing to the provider");
    assert.deepEqual(skipped.attempts.map((a) => [a.provider, a.outcome]), [
      ["primary", "circuit_open"],
      ["fallback", "success"],
    ]);
    assert.equal(await kit.metric("ai_errors_total", { reason: "circuit_open", provider: "primary" }), 1);

    // The cool-down (60 s) passes: half-open; one failing probe opens it again at once (no retries).
    kit.clock.advance(60_000);
    assert.equal(kit.ai.describeProviders()[0]?.circuit, "half_open");
    const probeFails = await ask(kit);
    assert.ok(probeFails.ok);
    assert.equal(primary.requests.length, 4, "exactly one probe");
    assert.equal(kit.ai.describeProviders()[0]?.circuit, "open");

    // After another cool-down a successful probe closes it.
    kit.clock.advance(60_000);
    primary.handle(() => reply("primary is back"));
    const recovered = await ask(kit);
    assert.ok(recovered.ok);
    assert.equal(recovered.provider, "primary");
    assert.equal(kit.ai.describeProviders()[0]?.circuit, "closed");
  });

  it("fails typed (unavailable) when every provider fails, listing what happened", async () => {
    primary.handle(() => httpError(401, "invalid api key"));
    fallback.handle(() => httpError(500, "oops"));
    const result = await ask(kit);
    assert.ok(!result.ok);
    assert.equal(result.reason, "unavailable");
    assert.match(result.message, /primary: auth, fallback: server_error/);
    assert.equal(primary.requests.length, 1, "an auth failure is not retried");
    assert.equal(fallback.requests.length, 3);
  });

  it("fails typed (no_provider) when none is configured", async () => {
    const bare = await startAiKit([]);
    try {
      const result = await ask(bare);
      assert.ok(!result.ok);
      assert.equal(result.reason, "no_provider");
    } finally {
      await bare.close();
    }
  });
});
