import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/*
 * Local stand-ins for notification receivers: Slack, PagerDuty, Teams and Discord webhooks and
 * a generic webhook (node:http), and an SMTP server (smtp-server). Each records what arrived,
 * answers as scripted (status codes, Retry-After) and lets a test wait for the N-th arrival
 * without sleeping.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, undefined when it is not JSON. */
  json: unknown;
  /** What the receiver answered. */
  status: number;
}

export interface ScriptedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

export type ReceiverKind = "slack" | "pagerduty" | "msteams" | "discord" | "webhook";

/** What each service answers when it accepts a message. */
function accepted(kind: ReceiverKind, request: { json: unknown }): ScriptedAnswer {
  switch (kind) {
    case "slack":
      return { status: 200, body: "ok", headers: { "content-type": "text/plain" } };
    case "pagerduty": {
      const dedupKey = (request.json as { dedup_key?: string } | undefined)?.dedup_key ?? "";
      return { status: 202, body: JSON.stringify({ status: "success", message: "Event processed", dedup_key: dedupKey }), headers: { "content-type": "application/json" } };
    }
    case "msteams":
      return { status: 202, body: "" };
    case "discord":
      return { status: 204 };
    case "webhook":
      return { status: 200, body: "" };
  }
}

/** Resolves waiters when a list reaches a length. */
class Arrivals<T> {
  readonly items: T[] = [];
  private waiters: Array<{ count: number; resolve: (items: T[]) => void }> = [];

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.items.length < waiter.count) return true;
      waiter.resolve(this.items.slice());
      return false;
    });
  }

  waitFor(count: number): Promise<T[]> {
    if (this.items.length >= count) return Promise.resolve(this.items.slice());
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }
}

export interface FakeHttpReceiver {
  /** Base URL, e.g. http://127.0.0.1:40123; any path is accepted. */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Requests answered with a 2xx. */
  accepted(): RecordedRequest[];
  /** Scripts the answers: called for every request with its index (0-based); undefined means the service's normal answer. */
  script(answer: (request: Omit<RecordedRequest, "status">, index: number) => ScriptedAnswer | undefined): void;
  /** Answers every request with this status from now on (e.g. 500), or normally again with undefined. */
  setStatus(status: number | undefined, options?: { retryAfter?: string; body?: string }): void;
  /** Resolves once `count` requests have arrived (event-driven, no polling). */
  waitForRequests(count: number): Promise<RecordedRequest[]>;
  /** While held, requests are recorded but not answered (a sender killed mid-request); release answers them. */
  hold(held: boolean): void;
  close(): Promise<void>;
}

export async function startFakeReceiver(kind: ReceiverKind = "webhook"): Promise<FakeHttpReceiver> {
  const arrivals = new Arrivals<RecordedRequest>();
  let scripted: ((request: Omit<RecordedRequest, "status">, index: number) => ScriptedAnswer | undefined) | undefined;
  let held = false;
  let parked: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body) as unknown;
      } catch {
        json = undefined;
      }
      const request = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, json };
      const answer = scripted?.(request, arrivals.items.length) ?? accepted(kind, request);
      const respond = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? "");
      };
      if (held) parked.push(respond);
      else respond();
      arrivals.push({ ...request, status: answer.status });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: arrivals.items,
    accepted: () => arrivals.items.filter((r) => r.status >= 200 && r.status < 300),
    script(answer) {
      scripted = answer;
    },
    setStatus(status, options = {}) {
      scripted =
        status === undefined
          ? undefined
          : (): ScriptedAnswer => ({ status, body: options.body ?? `status ${status}`, headers: options.retryAfter === undefined ? {} : { "retry-after": options.retryAfter } });
    },
    waitForRequests: (count) => arrivals.waitFor(count),
    hold(value) {
      held = value;
      if (!value) {
        const waiting = parked;
        parked = [];
        for (const respond of waiting) respond();
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  messageId: string;
  text: string;
  raw: string;
}

export interface FakeSmtpServer {
  readonly host: string;
  readonly port: number;
  readonly messages: readonly ReceivedMail[];
  /** Resolves once `count` messages have been accepted. */
  waitForMessages(count: number): Promise<ReceivedMail[]>;
  /** Refuses the next messages with this SMTP code (e.g. 451 transient, 550 permanent), or accepts again with undefined. */
  setReject(code: number | undefined): void;
  /** Stops listening (a "server down"); start() listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A plain-text SMTP server on loopback (no STARTTLS, authentication optional). Pass a port to take over a known one. */
export async function startFakeSmtpServer(options: { port?: number; listen?: boolean } = {}): Promise<FakeSmtpServer> {
  const arrivals = new Arrivals<ReceivedMail>();
  let reject: number | undefined;
  let port = options.port ?? 0;
  let server: SMTPServer | undefined;

  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          if (reject !== undefined) {
            const error = Object.assign(new Error(reject >= 500 ? "mailbox unavailable" : "try again later"), { responseCode: reject });
            callback(error);
            return;
          }
          const raw = Buffer.concat(chunks).toString("utf8");
          arrivals.push(parseMail(raw, session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address, session.envelope.rcptTo.map((r) => r.address)));
          callback();
        });
      },
    });

  const start = async (): Promise<void> => {
    server = create();
    const listening = server;
    await new Promise<void>((resolve, rejectStart) => {
      listening.once("error", rejectStart);
      listening.listen(port, "127.0.0.1", () => resolve());
    });
    port = (listening.server.address() as AddressInfo).port;
  };

  // listen: false with a port (freePort()) gives a server that is down until start().
  if (options.listen !== false) await start();

  return {
    host: "127.0.0.1",
    get port() {
      return port;
    },
    messages: arrivals.items,
    waitForMessages: (count) => arrivals.waitFor(count),
    setReject(code) {
      reject = code;
    },
    async stop() {
      const current = server;
      server = undefined;
      if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
    },
    start,
  };
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, "");
  for (let i = 0; i < soft.length; i++) {
    const char = soft[i]!;
    if (char === "=" && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(char, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** RFC 2047 encoded words (=?UTF-8?B?…?= / =?UTF-8?Q?…?=) in a header. */
function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_match, encoding: string, data: string) =>
    encoding.toLowerCase() === "b" ? Buffer.from(data, "base64").toString("utf8") : decodeQuotedPrintable(data.replaceAll("_", " ")),
  );
}

function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(head)?.[1]?.trim() ?? "";
  const encoding = header("Content-Transfer-Encoding").toLowerCase();
  const text = encoding === "quoted-printable" ? decodeQuotedPrintable(body) : encoding === "base64" ? Buffer.from(body, "base64").toString("utf8") : body;
  return { from, to, subject: decodeHeader(header("Subject")), messageId: header("Message-ID"), text: text.replace(/\r\n/g, "\n").replace(/\n$/, ""), raw };
}

/** A free loopback port, released again (for "server down" tests that start a server there later). */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
