import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestApp, type TestApp } from "#test/harness.ts";

describe("smoke", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it("registers and reads /me", async () => {
    const tokens = await t.register("smoke");
    const me = await t.auspex.app.inject({ method: "GET", url: "/api/v1/auth/me", headers: t.bearer(tokens.access_token) });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().username, "smoke");
  });
});
