import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeCpuTimes } from "#server/modules/collection/host/cpu-counters.rules.ts";
import type { CpuTimes } from "#server/modules/collection/host/stat.rules.ts";

const cpu = (id: number, idle: number, user: number): CpuTimes => ({
  cpu: id, user, nice: 0, system: 0, idle, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0,
});

describe("mergeCpuTimes", () => {
  it("keeps the previous value when a counter steps back a little", () => {
    const state = mergeCpuTimes(new Map(), [cpu(0, 100, 50)]);
    const next = mergeCpuTimes(state, [cpu(0, 99.5, 49.99)]);
    assert.equal(next.get(0)?.idle, 100);
    assert.equal(next.get(0)?.user, 50);
    assert.equal(mergeCpuTimes(next, [cpu(0, 101, 51)]).get(0)?.user, 51);
  });

  it("starts afresh when idle drops by 3 s or more (the CPU was replugged)", () => {
    const state = mergeCpuTimes(new Map(), [cpu(0, 100, 50)]);
    const next = mergeCpuTimes(state, [cpu(0, 97, 1)]);
    assert.deepEqual(next.get(0), cpu(0, 97, 1));
  });

  it("forgets CPUs that went offline and adds ones that came online", () => {
    const state = mergeCpuTimes(new Map(), [cpu(0, 10, 1), cpu(1, 10, 1)]);
    const next = mergeCpuTimes(state, [cpu(0, 11, 1), cpu(2, 5, 1)]);
    assert.deepEqual([...next.keys()], [0, 2]);
    assert.equal(state.size, 2, "the previous state is not modified");
  });
});
