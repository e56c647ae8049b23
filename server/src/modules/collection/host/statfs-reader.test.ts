import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { describe, it } from "node:test";
import { createStatfsReader } from "#server/modules/collection/host/statfs-reader.ts";

describe("createStatfsReader", () => {
  it("returns the real statfs numbers of a directory", async () => {
    const stats = await createStatfsReader()(tmpdir());
    assert.ok(stats !== undefined && stats.blocks > 0 && stats.bsize > 0);
  });

  it("returns undefined for a path statfs cannot read", async () => {
    assert.equal(await createStatfsReader()("/definitely/not/a/mount/point"), undefined);
  });

  it("gives up on a call past its deadline and does not ask a stuck path again until it returns", async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const hanging = () => {
      calls++;
      return new Promise<never>((_, reject) => (release = () => reject(new Error("finally returned"))));
    };
    const read = createStatfsReader({ statfs: hanging, timeoutMs: 1 });
    assert.equal(await read("/mnt/nfs"), undefined);
    assert.equal(await read("/mnt/nfs"), undefined);
    assert.equal(calls, 1, "the stuck path was not asked again");
    release();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(await read("/mnt/nfs"), undefined);
    assert.equal(calls, 2, "asked again once the stuck call returned");
  });
});
