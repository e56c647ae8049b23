import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Labels } from "#server/modules/metric-store/metric-store.port.ts";
import { RecordWriter, Wal, type WalHandler, decodeRecords } from "#server/modules/metric-store/wal.ts";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "auspex-wal-"));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => path.join(tmpRoot, `wal-${counter++}`);

type Event = ["series", number, string, Labels] | ["sample", number, number, number, number] | ["delete", string] | ["chunk", number, number[]];

function recorder(): { events: Event[]; handler: WalHandler } {
  const events: Event[] = [];
  return {
    events,
    handler: {
      series: (ref, userId, labels) => events.push(["series", ref, userId, labels]),
      sample: (ref, t, lo, hi) => events.push(["sample", ref, t, lo, hi]),
      deleteUser: (userId) => events.push(["delete", userId]),
      chunk: (ref, bytes) => events.push(["chunk", ref, Array.from(bytes)]),
    },
  };
}

function writeSome(w: RecordWriter, base: number): void {
  w.series(base, "user-1", { __name__: "up", job: "ñode" });
  w.samples(2, [base, base], [1000 + base, 2000 + base], [1, 2], [0x7ff00000, 3]);
  w.deleteUser("user-2");
  w.chunk(base, new Uint8Array([0, 1, 2]));
}

describe("write-ahead log records", () => {
  it("round-trip every record type", () => {
    const again = recorder();
    const w2 = new RecordWriter();
    writeSome(w2, 7);
    const bytes = w2.take();
    assert.deepEqual(decodeRecords(bytes, again.handler), { offset: bytes.length, clean: true });
    assert.deepEqual(again.events, [
      ["series", 7, "user-1", { __name__: "up", job: "ñode" }],
      ["sample", 7, 1007, 1, 0x7ff00000],
      ["sample", 7, 2007, 2, 3],
      ["delete", "user-2"],
      ["chunk", 7, [0, 1, 2]],
    ]);
  });

  it("stop at a torn or corrupted record", () => {
    const w = new RecordWriter();
    writeSome(w, 1);
    const bytes = w.take();
    const full = decodeRecords(bytes, recorder().handler);
    let cleanCuts = 0;
    for (let cut = 0; cut < bytes.length; cut++) {
      const r = decodeRecords(bytes.subarray(0, cut), recorder().handler);
      if (r.clean) {
        cleanCuts++;
        assert.equal(r.offset, cut);
      } else assert.ok(r.offset < cut);
    }
    assert.equal(cleanCuts, 4); // before each of the 4 records: a torn record is never taken as whole
    const corrupted = bytes.slice();
    corrupted[20] = corrupted[20]! ^ 0xff;
    const { events, handler } = recorder();
    const r = decodeRecords(corrupted, handler);
    assert.equal(r.clean, false);
    assert.equal(r.offset, 0);
    assert.equal(events.length, 0);
    assert.equal(full.clean, true);
  });
});

describe("write-ahead log files", () => {
  it("replays committed records after an abandoned instance and repairs a torn tail", async () => {
    const dir = freshDir();
    const first = Wal.open(dir, recorder().handler);
    writeSome(first.wal.records, 1);
    await first.wal.commit();
    writeSome(first.wal.records, 2);
    await first.wal.commit();
    // Simulate a crash mid-write: a partial record at the end of the segment.
    const segment = fs.readdirSync(dir).filter((n) => /^\d{8}$/.test(n)).sort().at(-1)!;
    fs.appendFileSync(path.join(dir, segment), Buffer.from([200, 0, 0, 0, 1, 2, 3]));
    const { events, handler } = recorder();
    const second = Wal.open(dir, handler);
    assert.equal(second.report.repaired, true);
    assert.equal(events.filter((e) => e[0] === "series").length, 2);
    assert.equal(events.filter((e) => e[0] === "sample").length, 4);
    await second.wal.close();
    const third = recorder();
    const reopened = Wal.open(dir, third.handler);
    assert.equal(reopened.report.repaired, false);
    assert.deepEqual(third.events, events);
    await reopened.wal.close();
  });

  it("group-commits concurrent commits and rotates segments", async () => {
    const dir = freshDir();
    const { wal } = Wal.open(dir, recorder().handler, 256);
    const commits: Array<Promise<void>> = [];
    for (let i = 0; i < 50; i++) {
      wal.records.samples(1, [i], [i * 1000], [i], [0]);
      commits.push(wal.commit());
    }
    await Promise.all(commits);
    await wal.close();
    const segments = fs.readdirSync(dir).filter((n) => /^\d{8}$/.test(n));
    assert.ok(segments.length >= 2, `segments: ${segments.join(",")}`);
    const { events, handler } = recorder();
    const reopened = Wal.open(dir, handler, 256);
    assert.deepEqual(
      events.map((e) => e[1]),
      Array.from({ length: 50 }, (_, i) => i),
    );
    await reopened.wal.close();
  });

  it("checkpoints: replay starts from the snapshot and older segments are gone", async () => {
    const dir = freshDir();
    const { wal } = Wal.open(dir, recorder().handler);
    writeSome(wal.records, 1);
    await wal.commit();
    wal.records.samples(1, [1], [5], [5], [0]); // pending while the checkpoint is taken: covered by it
    const pending = wal.commit();
    await wal.checkpoint((w) => w.series(9, "user-9", { a: "b" }));
    await pending;
    wal.records.samples(1, [9], [10], [0], [0]);
    await wal.commit();
    const abandoned = recorder();
    Wal.open(dir, abandoned.handler); // crash-style reopen without closing the first one
    assert.deepEqual(abandoned.events, [
      ["series", 9, "user-9", { a: "b" }],
      ["sample", 9, 10, 0, 0],
    ]);
    assert.equal(fs.readdirSync(dir).filter((n) => n.startsWith("checkpoint.")).length, 1);
    await wal.close();
  });
});
