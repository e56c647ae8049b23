import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSemaphore } from "#server/platform/semaphore.ts";

describe("semaphore", () => {
  it("holds at most `limit` at once and serves waiters in order", async () => {
    const semaphore = createSemaphore(2);
    const order: string[] = [];
    const a = await semaphore.acquire();
    const b = await semaphore.acquire();
    const c = semaphore.acquire().then((release) => (order.push("c"), release));
    const d = semaphore.acquire().then((release) => (order.push("d"), release));
    await Promise.resolve();
    assert.equal(semaphore.active, 2);
    assert.deepEqual(order, []);
    a();
    a(); // a second release of the same slot is ignored
    const releaseC = await c;
    assert.deepEqual(order, ["c"]);
    b();
    const releaseD = await d;
    assert.deepEqual(order, ["c", "d"]);
    releaseC();
    releaseD();
    assert.equal(semaphore.active, 0);
  });
});
