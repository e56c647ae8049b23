import type { Notification } from "#server/modules/notifications/notification.types.ts";
import { ZERO_TIME } from "#server/modules/notifications/notification.types.ts";

/** The two alerts of the Alertmanager golden capture (shared/conformance/alertmanager), in our model. */
export function goldenNotification(status: "firing" | "resolved"): Notification {
  const alert = (instance: string, fingerprint: string) => ({
    status,
    labels: { alertname: "HighLatency", instance, job: "node", severity: "page" },
    annotations: { summary: `Latency high on ${instance}` },
    startsAt: "2026-11-22T18:20:14Z",
    endsAt: status === "firing" ? ZERO_TIME : "2026-11-22T18:20:17Z",
    generatorURL: "http://prom.example:9090/graph?g0.expr=foo",
    fingerprint,
    ...(status === "resolved" && { value: 0.12 }),
  });
  return {
    kind: "alert",
    status,
    groupKey: '{}:{alertname="HighLatency"}',
    receiver: "wh",
    groupLabels: { alertname: "HighLatency" },
    commonLabels: { alertname: "HighLatency", job: "node", severity: "page" },
    commonAnnotations: {},
    externalURL: "http://am.example:9093",
    alerts: [alert("a:9100", "353a95d9f3451b47"), alert("b:9100", "4c273a653afa9f28")],
  };
}
