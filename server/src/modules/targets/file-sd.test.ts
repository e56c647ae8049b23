import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { FileSd } from "@auspex/shared/contracts/targets.ts";
import { createFileSdWriter } from "#server/modules/targets/file-sd-writer.ts";
import { toFileSd, type FileSdTarget } from "#server/modules/targets/file-sd.rules.ts";

const target = (overrides: Partial<FileSdTarget>): FileSdTarget => ({
  user_id: "u1",
  name: "web",
  job: "node",
  address: "10.0.0.1:9100",
  scheme: "http",
  metrics_path: "/metrics",
  labels: {},
  ...overrides,
});

describe("toFileSd", () => {
  it("gives one group per target with job, name and user_id, ordered by user then name", () => {
    const sd = toFileSd([target({ user_id: "u2", name: "b" }), target({ name: "z", labels: { env: "prod" } }), target({ name: "a", scheme: "https", metrics_path: "/x" })]);
    assert.deepEqual(sd, [
      { targets: ["10.0.0.1:9100"], labels: { job: "node", name: "a", user_id: "u1", __scheme__: "https", __metrics_path__: "/x" } },
      { targets: ["10.0.0.1:9100"], labels: { env: "prod", job: "node", name: "z", user_id: "u1" } },
      { targets: ["10.0.0.1:9100"], labels: { job: "node", name: "b", user_id: "u2" } },
    ]);
  });
});

describe("file_sd writer", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "auspex-sd-writer-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("writes through a temporary file, creating the directory, and leaves no temporary behind", async () => {
    const file = path.join(dir, "nested", "sd.json");
    const writer = createFileSdWriter(file);
    await writer.refresh(async () => toFileSd([target({})]));
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), toFileSd([target({})]));
    assert.deepEqual(readdirSync(path.dirname(file)), ["sd.json"]);
  });

  it("coalesces a burst of refreshes into writes of the latest list", async () => {
    const file = path.join(dir, "burst.json");
    const writer = createFileSdWriter(file);
    const loads: number[] = [];
    const version = (n: number) => async (): Promise<FileSd> => {
      loads.push(n);
      return [{ targets: [`h:${n}`], labels: {} }];
    };
    await Promise.all([writer.refresh(version(1)), writer.refresh(version(2)), writer.refresh(version(3)), writer.refresh(version(4))]);
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), [{ targets: ["h:4"], labels: {} }]);
    assert.ok(loads.length < 4, `loaded ${loads.join(",")}: the intermediate lists were skipped`);
    assert.equal(loads.at(-1), 4);
  });
});
