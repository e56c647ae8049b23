/*
 * A circuit breaker per provider, as pure transitions over plain state:
 * closed (counting consecutive failures) → open after `failures` of them →
 * half-open once `cooldownMs` has passed, letting exactly one probe through →
 * closed on its success, open again (a new cool-down) on its failure.
 */

export interface CircuitSettings {
  failures: number;
  cooldownMs: number;
}

export type CircuitState =
  | { kind: "closed"; consecutiveFailures: number }
  | { kind: "open"; openedAtMs: number }
  | { kind: "half_open"; probeInFlight: boolean };

export type CircuitName = "closed" | "open" | "half_open";

export const closedCircuit: CircuitState = { kind: "closed", consecutiveFailures: 0 };

/** May a request go to this provider now? Returns the state to keep (open → half-open with the probe taken). */
export function admitRequest(state: CircuitState, nowMs: number, settings: CircuitSettings): { admitted: boolean; state: CircuitState } {
  switch (state.kind) {
    case "closed":
      return { admitted: true, state };
    case "open":
      if (nowMs - state.openedAtMs >= settings.cooldownMs) return { admitted: true, state: { kind: "half_open", probeInFlight: true } };
      return { admitted: false, state };
    case "half_open":
      return state.probeInFlight ? { admitted: false, state } : { admitted: true, state: { kind: "half_open", probeInFlight: true } };
  }
}

export function recordSuccess(): CircuitState {
  return closedCircuit;
}

export function recordFailure(state: CircuitState, nowMs: number, settings: CircuitSettings): CircuitState {
  switch (state.kind) {
    case "closed": {
      const consecutiveFailures = state.consecutiveFailures + 1;
      return consecutiveFailures >= settings.failures ? { kind: "open", openedAtMs: nowMs } : { kind: "closed", consecutiveFailures };
    }
    case "half_open":
    case "open":
      return { kind: "open", openedAtMs: nowMs };
  }
}

/** A request that neither succeeded nor failed the provider (the caller cancelled, the request was malformed): frees a half-open probe slot. */
export function recordNeutral(state: CircuitState): CircuitState {
  return state.kind === "half_open" ? { kind: "half_open", probeInFlight: false } : state;
}

/** The state as /health shows it: an open circuit whose cool-down is over is half-open (the next request probes). */
export function describeCircuit(state: CircuitState, nowMs: number, settings: CircuitSettings): CircuitName {
  if (state.kind === "open" && nowMs - state.openedAtMs >= settings.cooldownMs) return "half_open";
  return state.kind;
}
