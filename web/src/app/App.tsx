import { useEffect, useState } from "react";
import { HealthReport } from "@auspex/shared/contracts/health.ts";
import { ApiError, apiGet } from "#web/lib/api-client.ts";

type HealthState =
  | { kind: "loading" }
  | { kind: "ready"; report: HealthReport }
  | { kind: "error"; message: string };

export function App() {
  return (
    <main className="app">
      <h1>Auspex</h1>
      <HealthStatusLine />
    </main>
  );
}

function HealthStatusLine() {
  const [state, setState] = useState<HealthState>({ kind: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    // /api/health answers 503 with a full report when the server is degraded.
    apiGet("/api/health", HealthReport, { okStatuses: [503], signal: controller.signal })
      .then((report) => setState({ kind: "ready", report }))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) setState({ kind: "error", message: describeError(error) });
      });
    return () => controller.abort();
  }, []);

  switch (state.kind) {
    case "loading":
      return (
        <p className="status" aria-busy="true">
          Checking server health…
        </p>
      );
    case "ready":
      return (
        <p className="status" data-status={state.report.status}>
          Server status: <strong>{state.report.status}</strong> (version {state.report.version})
        </p>
      );
    case "error":
      return (
        <p className="status" data-status="error" role="alert">
          Server status unavailable: {state.message}
        </p>
      );
  }
}

function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    return error.requestId ? `${error.message} (request ${error.requestId})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
