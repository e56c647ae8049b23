import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { createGunzip } from "node:zlib";

/** Why a scrape failed, worded for the target's `last_error`. */
export class ScrapeError extends Error {}

export interface FetchOptions {
  readonly url: URL;
  readonly accept: string;
  readonly timeoutMs: number;
  /** Largest body accepted, counted after gzip decompression. */
  readonly maxBodyBytes: number;
  /** Resolves and checks the host at connect time (the outbound policy); IP literals bypass it. */
  readonly lookup: LookupFunction;
  readonly userAgent: string;
}

export interface FetchedExposition {
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/**
 * GETs a metrics endpoint the way Prometheus does: Accept for OpenMetrics then text, gzip accepted,
 * one deadline for the whole exchange, and the body read only up to a limit, so a slow, endless
 * or enormous response costs a bounded amount of time and memory. Redirects are not followed.
 */
export function fetchExposition(options: FetchOptions): Promise<FetchedExposition> {
  const { url } = options;
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error instanceof ScrapeError ? error : new ScrapeError(describe(error)));
    };
    const request = client.get(
      url,
      {
        headers: {
          accept: options.accept,
          "accept-encoding": "gzip",
          "user-agent": options.userAgent,
          "x-prometheus-scrape-timeout-seconds": String(options.timeoutMs / 1000),
        },
        lookup: options.lookup,
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) {
          response.resume();
          fail(new ScrapeError(`server returned HTTP status ${status} ${response.statusMessage ?? ""}`.trim()));
          return;
        }
        const encoding = String(response.headers["content-encoding"] ?? "").toLowerCase();
        const stream = encoding === "gzip" ? response.pipe(createGunzip()) : response;
        if (encoding !== "gzip" && encoding !== "" && encoding !== "identity") {
          response.resume();
          fail(new ScrapeError(`unsupported Content-Encoding "${encoding}"`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBodyBytes) {
            fail(new ScrapeError(`body exceeds the limit of ${options.maxBodyBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        stream.on("error", (error: Error) => fail(encoding === "gzip" ? new ScrapeError(`invalid gzip body: ${error.message}`) : error));
        stream.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const contentType = response.headers["content-type"];
          resolve({ contentType, body: Buffer.concat(chunks, size) });
        });
      },
    );
    request.on("error", fail);
    const timer = setTimeout(() => fail(new ScrapeError(`scrape timed out after ${options.timeoutMs / 1000} s`)), options.timeoutMs);
  });
}

function describe(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
