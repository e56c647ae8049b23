/*
 * A real local HTTP server speaking the two LLM APIs Auspex uses, for tests:
 *  - OpenAI chat completions: POST <url>/v1/chat/completions (tools/tool_calls, JSON mode, usage)
 *  - Ollama native: POST <url>/api/chat (stream:false only, format, prompt_eval_count/eval_count)
 * Scripted per test with a queue of replies and/or a handler; every request is recorded
 * (parsed JSON body, headers) so tests can assert what left Auspex.
 *
 *   const llm = await startFakeLlmServer();
 *   llm.enqueue(reply('{"summary":"ok"}', { usage: { prompt: 12, completion: 3 } }), httpError(429, "slow down", { retryAfter: "2" }));
 *   llm.handle((req) => reply(`you said ${lastUserText(req)}`));
 *   … llm.openaiUrl (…/v1) or llm.url (Ollama) …
 *   await llm.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeApi = "openai" | "ollama";

export interface RecordedRequest {
  api: FakeApi | "unknown";
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined when not JSON). */
  body: FakeChatBody | undefined;
  rawBody: string;
  /** Index among all requests to this server, from 0. */
  index: number;
}

/** The fields of a chat request the fake reads (both APIs share them). */
export interface FakeChatBody {
  model?: string;
  messages?: { role: string; content?: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: { type?: string; function?: { name: string; parameters?: unknown } }[];
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown } };
  format?: unknown;
  stream?: boolean;
  [key: string]: unknown;
}

export interface FakeToolCall {
  id?: string;
  name: string;
  arguments: unknown;
}

export type FakeReply =
  | {
      type: "chat";
      content: string;
      toolCalls?: FakeToolCall[];
      /** null: the response carries no usage at all. */
      usage?: { prompt: number; completion: number } | null;
      model?: string;
      finishReason?: string;
    }
  | { type: "error"; status: number; message: string; headers?: Record<string, string> }
  | { type: "raw"; status: number; body: string; headers?: Record<string, string> }
  /** Never answers (until the client gives up or the server closes). */
  | { type: "hang" };

export type FakeHandler = (request: RecordedRequest) => FakeReply | undefined;

export function reply(content: string, options: { toolCalls?: FakeToolCall[]; usage?: { prompt: number; completion: number } | null; model?: string; finishReason?: string } = {}): FakeReply {
  return { type: "chat", content, ...options };
}

export function replyJson(value: unknown, options: { usage?: { prompt: number; completion: number } | null; model?: string } = {}): FakeReply {
  return reply(JSON.stringify(value), options);
}

export function toolCalls(calls: FakeToolCall[], options: { usage?: { prompt: number; completion: number } | null } = {}): FakeReply {
  return reply("", { toolCalls: calls, finishReason: "tool_calls", ...options });
}

export function httpError(status: number, message: string, options: { retryAfter?: string } = {}): FakeReply {
  return { type: "error", status, message, ...(options.retryAfter === undefined ? {} : { headers: { "retry-after": options.retryAfter } }) };
}

export function rawBody(status: number, body: string, headers: Record<string, string> = {}): FakeReply {
  return { type: "raw", status, body, headers };
}

export function hang(): FakeReply {
  return { type: "hang" };
}

/** Concatenated text of the request's messages with this role. */
export function textOf(request: RecordedRequest, role: string): string {
  return (request.body?.messages ?? [])
    .filter((m) => m.role === role)
    .map((m) => m.content ?? "")
    .join("\n");
}

export interface FakeLlmServer {
  /** Base URL (Ollama's native API lives here: <url>/api/chat). */
  readonly url: string;
  /** OpenAI-compatible base URL: <url>/v1. */
  readonly openaiUrl: string;
  readonly requests: RecordedRequest[];
  /** Replies used in order, one per request; when empty the handler answers. */
  enqueue(...replies: FakeReply[]): void;
  /** Answers requests the queue does not; undefined from it means "nothing scripted" (HTTP 500). */
  handle(handler: FakeHandler): void;
  /** Resolves once `count` requests in total have arrived (event-driven, no polling). */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_USAGE = { prompt: 10, completion: 5 };

function renderOpenAi(body: FakeChatBody | undefined, r: Extract<FakeReply, { type: "chat" }>, index: number): unknown {
  const usage = r.usage === undefined ? DEFAULT_USAGE : r.usage;
  return {
    id: `chatcmpl-fake-${index}`,
    object: "chat.completion",
    created: 1_767_225_600,
    model: r.model ?? body?.model ?? "fake-model",
    choices: [
      {
        index: 0,
        finish_reason: r.finishReason ?? "stop",
        message: {
          role: "assistant",
          content: r.toolCalls && r.content === "" ? null : r.content,
          ...(r.toolCalls
            ? {
                tool_calls: r.toolCalls.map((call, i) => ({
                  id: call.id ?? `call_fake_${index}_${i}`,
                  type: "function",
                  function: { name: call.name, arguments: JSON.stringify(call.arguments) },
                })),
              }
            : {}),
        },
      },
    ],
    ...(usage === null ? {} : { usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion, total_tokens: usage.prompt + usage.completion } }),
  };
}

function renderOllama(body: FakeChatBody | undefined, r: Extract<FakeReply, { type: "chat" }>): unknown {
  const usage = r.usage === undefined ? DEFAULT_USAGE : r.usage;
  return {
    model: r.model ?? body?.model ?? "fake-model",
    created_at: "2026-01-01T00:00:00Z",
    message: {
      role: "assistant",
      content: r.content,
      ...(r.toolCalls ? { tool_calls: r.toolCalls.map((call) => ({ function: { name: call.name, arguments: call.arguments } })) } : {}),
    },
    done: true,
    done_reason: r.finishReason ?? "stop",
    total_duration: 1_000_000,
    ...(usage === null ? {} : { prompt_eval_count: usage.prompt, eval_count: usage.completion }),
  };
}

export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  const queue: FakeReply[] = [];
  let handler: FakeHandler | undefined;
  const waiters: { count: number; resolve: () => void }[] = [];
  const hanging = new Set<ServerResponse>();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let body: FakeChatBody | undefined;
      try {
        body = JSON.parse(rawBody) as FakeChatBody;
      } catch {
        body = undefined;
      }
      const path = new URL(req.url ?? "/", "http://fake").pathname;
      const api: RecordedRequest["api"] = path === "/v1/chat/completions" ? "openai" : path === "/api/chat" ? "ollama" : "unknown";
      const recorded: RecordedRequest = { api, method: req.method ?? "GET", path, headers: { ...req.headers }, body, rawBody, index: requests.length };
      requests.push(recorded);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }

      if (api === "unknown" || req.method !== "POST") {
        send(res, 404, api === "ollama" ? { error: "not found" } : { error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error" } });
        return;
      }
      if (body === undefined) {
        send(res, 400, { error: { message: "body is not JSON", type: "invalid_request_error" } });
        return;
      }
      if (api === "ollama" && body.stream !== false) {
        send(res, 400, { error: "the fake Ollama answers only stream:false requests" });
        return;
      }
      const scripted = queue.shift() ?? handler?.(recorded);
      if (scripted === undefined) {
        send(res, 500, api === "ollama" ? { error: "fake LLM: nothing scripted" } : { error: { message: "fake LLM: nothing scripted", type: "server_error" } });
        return;
      }
      switch (scripted.type) {
        case "hang":
          hanging.add(res);
          res.on("close", () => hanging.delete(res));
          return;
        case "raw":
          send(res, scripted.status, scripted.body, scripted.headers);
          return;
        case "error":
          send(
            res,
            scripted.status,
            api === "ollama" ? { error: scripted.message } : { error: { message: scripted.message, type: scripted.status === 429 ? "rate_limit_exceeded" : "server_error", code: null } },
            scripted.headers,
          );
          return;
        case "chat":
          send(res, 200, api === "ollama" ? renderOllama(body, scripted) : renderOpenAi(body, scripted, recorded.index));
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiUrl: `${url}/v1`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    handle: (h) => {
      handler = h;
    },
    waitForRequests: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiters.push({ count, resolve });
          }),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
