import { uncompressSync } from "snappy";
import type { Actor } from "#server/platform/actor.ts";
import type { Clock } from "#server/platform/clock.ts";
import { RateLimitedError, ServiceError, ValidationError } from "#server/platform/errors.ts";
import { createRateLimiter } from "#server/platform/rate-limiter.ts";
import { ProtobufReader, ProtobufError } from "#server/platform/remote-write/protobuf-reader.ts";
import { decodeWriteRequest, WriteRequestError } from "#server/platform/remote-write/write-request.decode.ts";
import type { MetadataService } from "#server/modules/metadata/index.ts";
import type { MetricStore } from "#server/modules/metric-store/index.ts";

export interface RemoteWriteLimits {
  /** Largest decompressed WriteRequest accepted (a snappy body can expand ~6x). */
  maxDecompressedBytes: number;
  /** Samples a user may write per second, summed over all requests. */
  maxSamplesPerSecond: number;
  /** Active series a user may have; samples that would create more are refused with 429. */
  maxActiveSeries: number;
}

export interface RemoteWriteResult {
  series: number;
  samples: number;
}

interface Deps {
  store: Pick<MetricStore, "append">;
  metadata: Pick<MetadataService, "recordMetadata">;
  limits: RemoteWriteLimits;
  clock: Clock;
}

/**
 * Prometheus remote_write 1.0: snappy-compressed protobuf WriteRequests, appended to the
 * acting user's series. Resolves only when the samples are durable in the store.
 */
export function createRemoteWriteService({ store, metadata, limits, clock }: Deps) {
  const samplesPerSecond = createRateLimiter({ limit: limits.maxSamplesPerSecond, windowMs: 1000, clock });

  return {
    async ingestRemoteWrite(actor: Actor, compressed: Uint8Array): Promise<RemoteWriteResult> {
      const request = decode(decompress(compressed, limits.maxDecompressedBytes));
      const budget = samplesPerSecond.consume(actor.userId, request.sampleCount);
      if (!budget.allowed) throw new RateLimitedError(budget.resetSeconds);

      const result = await store.append(actor.userId, request.series, { maxActiveSeries: limits.maxActiveSeries });
      if (request.metadata.length > 0) await metadata.recordMetadata(actor.userId, request.metadata);
      const limited = result.rejections.filter((r) => r.seriesLimit === true);
      if (limited.length > 0) {
        // The series that exist were stored; the sender retries the rest later (429 is retried).
        const refused = limited.reduce((sum, r) => sum + r.rejected, 0);
        throw new ServiceError("rate_limited", `${refused} sample(s) of new series refused: ${limited[0]?.reason ?? "series limit reached"}`, {
          retryAfterSeconds: 60,
        });
      }
      if (result.rejected > 0) {
        // The accepted samples are stored; the sender is told which were not and why.
        const reasons = result.rejections.slice(0, 5).map((r) => `${r.rejected} sample(s) of ${describe(r.labels)}: ${r.reason}`);
        throw new ServiceError("validation_error", `${result.rejected} of ${request.sampleCount} samples rejected (${result.accepted} stored): ${reasons.join("; ")}`, {
          details: [{ field: "body", problem: reasons[0] ?? "samples rejected" }],
        });
      }
      return { series: request.series.length, samples: result.accepted };
    },
  };
}

export type RemoteWriteService = ReturnType<typeof createRemoteWriteService>;

function decompress(compressed: Uint8Array, maxBytes: number): Buffer {
  // The snappy block format starts with the uncompressed length: refuse bombs before inflating.
  let length: number;
  try {
    length = new ProtobufReader(compressed).varint();
  } catch (error) {
    if (error instanceof ProtobufError) throw new ValidationError([{ field: "body", problem: "is not snappy-compressed data" }]);
    throw error;
  }
  if (length > maxBytes) throw new ServiceError("payload_too_large", `body: decompresses to ${length} bytes, more than the ${maxBytes} allowed`);
  try {
    return uncompressSync(Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength)) as Buffer;
  } catch {
    throw new ValidationError([{ field: "body", problem: "is not valid snappy-compressed data" }]);
  }
}

function decode(bytes: Uint8Array) {
  try {
    return decodeWriteRequest(bytes);
  } catch (error) {
    if (error instanceof WriteRequestError) throw new ValidationError([{ field: "body", problem: error.message }]);
    throw error;
  }
}

function describe(labels: Readonly<Record<string, string>>): string {
  const { __name__: name, ...rest } = labels;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}="${v}"`);
  return `${name ?? ""}{${pairs.join(",")}}`;
}
