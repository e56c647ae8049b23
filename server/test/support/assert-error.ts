import assert from "node:assert/strict";
import type { LightMyRequestResponse } from "fastify";
import type { ErrorEnvelope } from "@auspex/shared/contracts/errors.ts";

/**
 * Asserts Auspex's error envelope: the status, the code, a message, the response's request id,
 * and, with `field`, that details and message both name that field.
 */
export function assertError(response: LightMyRequestResponse, status: number, code: string, field?: string): ErrorEnvelope {
  assert.equal(response.statusCode, status, `expected ${status}, got ${response.statusCode}: ${response.body}`);
  assert.match(String(response.headers["content-type"]), /^application\/json/);
  const body = response.json<ErrorEnvelope>();
  assert.equal(body.error.code, code, response.body);
  assert.equal(typeof body.error.message, "string");
  assert.ok(body.error.message.length > 0);
  assert.equal(body.error.requestId, response.headers["x-request-id"], "error body carries the response's request id");
  if (field !== undefined) {
    const fields = (body.error.details ?? []).map((detail) => detail.field);
    assert.ok(fields.includes(field), `expected error details to name ${field}, got ${JSON.stringify(fields)} (${response.body})`);
    assert.match(body.error.message, new RegExp(field.replaceAll(".", "\\.")), "the message names the field too");
  }
  return body;
}
