import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { reply, startFakeLlmServer, type FakeLlmServer } from "#test/support/fake-llm-server.ts";
import { openai, startAiKit, type AiKit } from "#test/modules/ai/ai-kit.ts";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in Langfuse: records OTLP/HTTP posts and answers 200 like the real endpoint. */
async function startLangfuse(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}

describe("AI layer: Langfuse export", () => {
  let llm: FakeLlmServer;
  let langfuse: Awaited<ReturnType<typeof startLangfuse>>;
  let kit: AiKit;
  before(async () => {
    llm = await startFakeLlmServer();
    langfuse = await startLangfuse();
    kit = await startAiKit([openai("primary", llm.openaiUrl, "gpt-lf")], { langfuse: { host: `${langfuse.url}/`, publicKey: "pk-lf-test", secretKey: "sk-lf-test" } });
  });
  after(async () => {
    await kit.close();
    await langfuse.close();
    await llm.close();
  });

  it("sends each call's spans over OTLP/HTTP to <host>/api/public/otel/v1/traces with basic auth", async () => {
    llm.enqueue(reply("traced", { usage: { prompt: 11, completion: 2 } }));
    const result = await kit.ai.chat({ userId: kit.alice, purpose: "chat", messages: [{ role: "user", content: "hello" }] });
    assert.ok(result.ok);
    await kit.ai.flushTraces();

    assert.equal(langfuse.received.length, 1);
    const [post] = langfuse.received;
    assert.equal(post?.path, "/api/public/otel/v1/traces");
    assert.equal(post.headers.authorization, `Basic ${Buffer.from("pk-lf-test:sk-lf-test").toString("base64")}`);
    assert.match(post.headers["content-type"] ?? "", /application\/json/);

    const body = JSON.parse(post.body) as {
      resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: { name: string; attributes: OtlpAttribute[] }[] }[] }[];
    };
    const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    assert.deepEqual(spans.map((s) => s.name).sort(), ["ai.chat", "ai.request primary"]);
    const call = spans.find((s) => s.name === "ai.chat");
    const attr = (key: string) => call?.attributes.find((a) => a.key === key)?.value;
    assert.equal(attr("auspex.ai.purpose")?.stringValue, "chat");
    assert.equal(attr("langfuse.user.id")?.stringValue, kit.alice);
    assert.equal(attr("gen_ai.request.model")?.stringValue, "gpt-lf");
    assert.equal(Number(attr("gen_ai.usage.input_tokens")?.intValue), 11);
    assert.equal(attr("langfuse.observation.output")?.stringValue, "traced");
    const service = body.resourceSpans[0]?.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue;
    assert.equal(service, "auspex");
  });
});
