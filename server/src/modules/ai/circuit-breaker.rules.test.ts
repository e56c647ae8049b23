import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { admitRequest, closedCircuit, describeCircuit, recordFailure, recordNeutral, recordSuccess, type CircuitState } from "#server/modules/ai/circuit-breaker.rules.ts";

const settings = { failures: 3, cooldownMs: 60_000 };

describe("circuit breaker rules", () => {
  it("opens after N consecutive failures; a success in between resets the count", () => {
    let state: CircuitState = closedCircuit;
    state = recordFailure(state, 0, settings);
    state = recordFailure(state, 0, settings);
    state = recordSuccess();
    state = recordFailure(state, 0, settings);
    state = recordFailure(state, 0, settings);
    assert.deepEqual(state, { kind: "closed", consecutiveFailures: 2 });
    state = recordFailure(state, 1000, settings);
    assert.deepEqual(state, { kind: "open", openedAtMs: 1000 });
    assert.equal(admitRequest(state, 60_999, settings).admitted, false);
    assert.equal(describeCircuit(state, 60_999, settings), "open");
    assert.equal(describeCircuit(state, 61_000, settings), "half_open");
  });

  it("lets exactly one probe through after the cool-down; its result decides", () => {
    const open: CircuitState = { kind: "open", openedAtMs: 0 };
    const probe = admitRequest(open, 60_000, settings);
    assert.deepEqual(probe, { admitted: true, state: { kind: "half_open", probeInFlight: true } });
    assert.equal(admitRequest(probe.state, 60_001, settings).admitted, false, "a second request waits for the probe");
    assert.deepEqual(recordFailure(probe.state, 60_500, settings), { kind: "open", openedAtMs: 60_500 });
    assert.deepEqual(recordSuccess(), closedCircuit);
    const freed = recordNeutral(probe.state);
    assert.equal(admitRequest(freed, 60_002, settings).admitted, true, "a cancelled probe frees the slot");
  });
});
