import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newId } from "#server/platform/ids.ts";

describe("newId (UUIDv7)", () => {
  it("carries version 7, the RFC variant and the time", () => {
    const id = newId(Date.parse("2026-03-01T00:00:00Z"));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(id.replaceAll("-", "").slice(0, 12), 16), Date.parse("2026-03-01T00:00:00Z"));
  });

  it("sorts strictly in creation order within one millisecond and across a clock step back", () => {
    const now = Date.parse("2030-01-01T00:00:00Z");
    const ids = [...Array.from({ length: 5000 }, () => newId(now)), newId(now - 1000), newId(now + 1)];
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
  });
});
