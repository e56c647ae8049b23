import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { reply, replyJson, startFakeLlmServer, type FakeLlmServer } from "#test/support/fake-llm-server.ts";
import { openai, startAiKit, type AiKit } from "#test/modules/ai/ai-kit.ts";

describe("AI layer: usage, budget and redaction", () => {
  let llm: FakeLlmServer;
  let kit: AiKit;
  before(async () => {
    llm = await startFakeLlmServer();
    kit = await startAiKit([openai("primary", llm.openaiUrl, "gpt-u")], { dailyTokenBudget: 100 });
  });
  after(async () => {
    await kit.close();
    await llm.close();
  });

  it("persists tokens per call, user and purpose, and summarises only the user's own", async () => {
    llm.enqueue(reply("a", { usage: { prompt: 20, completion: 5 } }), reply("b", { usage: { prompt: 10, completion: 5 } }), reply("c", { usage: { prompt: 7, completion: 3 } }));
    assert.ok((await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "1" }] })).ok);
    assert.ok((await kit.ai.chat({ userId: kit.alice, purpose: "rca", messages: [{ role: "user", content: "2" }] })).ok);
    assert.ok((await kit.ai.chat({ userId: kit.bob, purpose: "chat", messages: [{ role: "user", content: "3" }] })).ok);

    const day = { from: new Date("2026-03-01T00:00:00Z"), to: new Date("2026-03-02T00:00:00Z") };
    assert.deepEqual(await kit.ai.summarizeUsage(kit.alice, day), [
      { purpose: "chat", provider: "primary", model: "gpt-u", calls: 1, promptTokens: 20, completionTokens: 5 },
      { purpose: "rca", provider: "primary", model: "gpt-u", calls: 1, promptTokens: 10, completionTokens: 5 },
    ]);
    assert.deepEqual(await kit.ai.summarizeUsage(kit.bob, day), [{ purpose: "chat", provider: "primary", model: "gpt-u", calls: 1, promptTokens: 7, completionTokens: 3 }]);
    const [row] = await kit.usage.listRecent(kit.bob, 1);
    assert.deepEqual({ ...row, id: "x" }, {
      id: "x",
      user_id: kit.bob,
      purpose: "chat",
      provider: "primary",
      model: "gpt-u",
      prompt_tokens: 7,
      completion_tokens: 3,
      estimated: 0,
      outcome: "success",
      duration_ms: 0,
      created_at: "2026-03-01T10:00:00.000Z",
    });
  });

  it("refuses a call that would exceed the user's daily budget, before sending anything; other users and the next day are unaffected", async () => {
    // Alice has used 40 of 100 tokens; a prompt of ~70 estimated tokens does not fit.
    const sent = llm.requests.length;
    const big = await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "x".repeat(264) }] });
    assert.ok(!big.ok);
    assert.equal(big.reason, "budget_exhausted");
    assert.match(big.message, /40 of 100 tokens/);
    assert.equal(llm.requests.length, sent, "nothing left for the provider");
    assert.equal(await kit.metric("ai_errors_total", { reason: "budget_exhausted", provider: "none" }), 1);

    const structured = await kit.ai.completeStructured({ userId: kit.alice, purpose: "rca", system: "s", data: { text: "y".repeat(400) }, schema: z.object({ a: z.string() }) });
    assert.ok(!structured.ok);
    assert.equal(structured.reason, "budget_exhausted");

    llm.enqueue(reply("fits", { usage: { prompt: 50, completion: 10 } }));
    assert.ok((await kit.ai.chat({ userId: kit.bob, purpose: "chat", messages: [{ role: "user", content: "x".repeat(264) }] })).ok);

    kit.clock.set("2026-03-02T00:00:01.000Z");
    llm.enqueue(reply("new day", { usage: { prompt: 70, completion: 1 } }));
    const tomorrow = await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "x".repeat(264) }] });
    assert.ok(tomorrow.ok, "the budget is per UTC day");
    kit.clock.set("2026-03-01T10:00:00.000Z");
  });

  it("runs one user's calls one at a time, so concurrent calls cannot together pass the budget", async () => {
    // Bob has used 70 of 100 today; each call costs 28. Checked together, both would pass.
    llm.enqueue(reply("one", { usage: { prompt: 23, completion: 5 } }), reply("two", { usage: { prompt: 23, completion: 5 } }));
    const results = await Promise.all([1, 2].map((n) => kit.ai.chat({ userId: kit.bob, purpose: "chat", messages: [{ role: "user", content: `q${n}` }] })));
    assert.deepEqual(
      results.map((r) => (r.ok ? "ok" : r.reason)),
      ["ok", "budget_exhausted"],
    );
  });
});

describe("AI layer: redaction", () => {
  let llm: FakeLlmServer;
  let kit: AiKit;
  before(async () => {
    llm = await startFakeLlmServer();
    kit = await startAiKit([openai("primary", llm.openaiUrl, "gpt-u")]);
  });
  after(async () => {
    await kit.close();
    await llm.close();
  });

  it("redacts secrets from everything it sends, messages and structured data alike", async () => {
    llm.enqueue(reply("ok"), replyJson({ a: "ok" }));
    const chat = await kit.ai.chat({
      userId: kit.bob,
      purpose: "chat",
      messages: [
        { role: "system", content: "You help." },
        { role: "user", content: "why does https://scraper:Sup3rS3cret@db.internal:5432/metrics fail? my key is sk-proj-AAAAAAAAAAAAAAAAAAAAAAAA" },
      ],
    });
    assert.ok(chat.ok);
    const structured = await kit.ai.completeStructured({
      userId: kit.bob,
      purpose: "rca",
      system: "Explain.",
      data: {
        event: "deploy failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXZhbHVl",
        labels: { password: "hunter2-label", aws: "AKIAIOSFODNN7EXAMPLE" },
        log: "-----BEGIN PRIVATE KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEwggE9\n-----END PRIVATE KEY-----",
      },
      schema: z.object({ a: z.string() }),
    });
    assert.ok(structured.ok, JSON.stringify(structured));
    const wire = llm.requests
      .slice(-2)
      .map((r) => r.rawBody)
      .join("\n");
    for (const secret of ["Sup3rS3cret", "sk-proj-AAAA", "eyJhbGciOiJIUzI1NiJ9", "hunter2-label", "AKIAIOSFODNN7EXAMPLE", "MIIBVwIBADANBgkqhkiG9w0BAQEFAASCAUEwggE9"]) {
      assert.ok(!wire.includes(secret), `${secret} must not leave`);
    }
    assert.match(wire, /scraper:\[REDACTED\]@db\.internal:5432/);
    const spans = kit.spans().filter((s) => s.name === "ai.complete_structured");
    assert.equal(spans.at(-1)?.attributes["auspex.ai.redactions"], 4);
  });
});
