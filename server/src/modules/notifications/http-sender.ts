import http from "node:http";
import https from "node:https";
import { checkOutboundAddress } from "#server/platform/outbound/check-outbound-address.ts";
import { createOutboundLookup } from "#server/platform/outbound/outbound-lookup.ts";
import type { OutboundPolicy } from "#server/platform/outbound/outbound-policy.rules.ts";
import type { ResolveHost } from "#server/platform/outbound/resolve-host.ts";

/** What a receiver answered, or why there was no answer. */
export interface HttpAnswer {
  status: number | null;
  body: string | null;
  retryAfter: string | undefined;
  error: string | null;
}

export interface HttpSenderOptions {
  policy: OutboundPolicy;
  resolve?: ResolveHost;
  timeoutMs: number;
  userAgent: string;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * POSTs JSON to a user-supplied URL: the host is checked against the outbound policy and the
 * socket dials only addresses checked at connect time (createOutboundLookup). One deadline for
 * the whole exchange; redirects are not followed; at most 64 KiB of the answer is read.
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, options: HttpSenderOptions): Promise<HttpAnswer> {
  const target = new URL(url);
  try {
    await checkOutboundAddress(options.policy, target.hostname, options.resolve === undefined ? {} : { resolve: options.resolve });
  } catch (error) {
    return { status: null, body: null, retryAfter: undefined, error: (error as Error).message };
  }
  const payload = Buffer.from(JSON.stringify(body), "utf8");
  const client = target.protocol === "https:" ? https : http;
  const lookup = createOutboundLookup(options.policy, options.resolve);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: HttpAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const request = client.request(
      target,
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(payload.length), "user-agent": options.userAgent, ...headers },
        lookup,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size >= MAX_BODY_BYTES) return;
          size += chunk.length;
          chunks.push(chunk);
        });
        response.on("error", (error: Error) => finish({ status: response.statusCode ?? null, body: null, retryAfter: undefined, error: describe(error) }));
        response.on("end", () => {
          const retryAfter: string | undefined = response.headers["retry-after"];
          finish({ status: response.statusCode ?? null, body: Buffer.concat(chunks).toString("utf8"), retryAfter, error: null });
        });
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ status: null, body: null, retryAfter: undefined, error: `no answer within ${options.timeoutMs / 1000} s` });
    }, options.timeoutMs);
    request.on("error", (error) => finish({ status: null, body: null, retryAfter: undefined, error: describe(error) }));
    request.end(payload);
  });
}

export function describe(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
