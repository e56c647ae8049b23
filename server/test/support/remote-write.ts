import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import { compressSync } from "snappy";
import { encodeWriteRequest, type EncodableSeries } from "#test/support/remote-write-encoder.ts";

/** One remote_write request through the real route (snappy-compressed protobuf); asserts the 204. */
export async function remoteWrite(app: FastifyInstance, key: string, series: EncodableSeries[]): Promise<void> {
  const response = await app.inject({
    method: "POST",
    url: "/prometheus/api/v1/write",
    headers: { "content-type": "application/x-protobuf", "content-encoding": "snappy", authorization: `Bearer ${key}` },
    payload: compressSync(Buffer.from(encodeWriteRequest(series))),
  });
  assert.equal(response.statusCode, 204, response.body);
}
