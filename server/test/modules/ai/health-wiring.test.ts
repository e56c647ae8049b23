import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { HealthReport } from "@auspex/shared/contracts/health.ts";
import { startTestApp, type TestApp } from "#test/harness.ts";
import { httpError, reply, startFakeLlmServer, type FakeLlmServer } from "#test/support/fake-llm-server.ts";

describe("AI layer wired into Auspex: configuration → providers → /health", () => {
  let primary: FakeLlmServer;
  let fallback: FakeLlmServer;
  let t: TestApp;
  before(async () => {
    primary = await startFakeLlmServer();
    fallback = await startFakeLlmServer();
    t = await startTestApp({
      AUSPEX_LLM_PRIMARY_URL: primary.openaiUrl,
      AUSPEX_LLM_PRIMARY_MODEL: "gpt-wired",
      AUSPEX_LLM_PRIMARY_API_KEY: "sk-wired-secret-000000000000",
      AUSPEX_LLM_FALLBACK_URL: fallback.url,
      AUSPEX_LLM_FALLBACK_KIND: "ollama",
      AUSPEX_LLM_FALLBACK_MODEL: "llama-wired",
      AUSPEX_LLM_MAX_RETRIES: "0",
      AUSPEX_LLM_CIRCUIT_FAILURES: "1",
    });
  });
  after(async () => {
    await t.close();
    await primary.close();
    await fallback.close();
  });

  it("reports each provider with its circuit; a failing primary shows open while the fallback answers", async () => {
    const before = (await t.auspex.app.inject({ method: "GET", url: "/health" })).json<HealthReport>();
    assert.equal(before.status, "healthy");
    assert.deepEqual(before.services.ai_providers.status, { primary: true, fallback: true });
    assert.deepEqual(before.services.ai_providers.providers, [
      { name: "primary", kind: "openai", model: "gpt-wired", circuit: "closed" },
      { name: "fallback", kind: "ollama", model: "llama-wired", circuit: "closed" },
    ]);

    const { user } = await t.register("ai_wired");
    primary.enqueue(httpError(503, "overloaded"));
    fallback.enqueue(reply("fallback here"));
    const result = await t.auspex.ai.chat({ userId: user.id, purpose: "chat", messages: [{ role: "user", content: "hi" }] });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.provider, "fallback");
    assert.equal(primary.requests[0]?.headers.authorization, "Bearer sk-wired-secret-000000000000");

    const response = await t.auspex.app.inject({ method: "GET", url: "/health" });
    const after = response.json<HealthReport>();
    assert.equal(after.status, "healthy", "one working provider is enough");
    assert.deepEqual(after.services.ai_providers.providers.map((p) => [p.name, p.circuit]), [
      ["primary", "open"],
      ["fallback", "closed"],
    ]);
    assert.ok(!response.body.includes("sk-wired-secret"), "keys never appear in /health");

    // The fallback fails too: no provider can answer now, which is as limited as none configured.
    fallback.enqueue(httpError(503, "overloaded as well"));
    const failed = await t.auspex.ai.chat({ userId: user.id, purpose: "chat", messages: [{ role: "user", content: "hi again" }] });
    assert.equal(failed.ok, false);
    const limited = (await t.auspex.app.inject({ method: "GET", url: "/health" })).json<HealthReport>();
    assert.deepEqual(limited.services.ai_providers.providers.map((p) => [p.name, p.circuit]), [
      ["primary", "open"],
      ["fallback", "open"],
    ]);
    assert.equal(limited.status, "limited");

    const metrics = await t.auspex.app.inject({ method: "GET", url: "/metrics" });
    assert.match(metrics.body, /ai_api_calls_total\{provider="fallback",model="llama-wired",purpose="chat",outcome="success"\} 1/);
    assert.match(metrics.body, /ai_errors_total\{reason="server_error",provider="primary"\} 1/);
  });
});
