import { parseArgs } from "node:util";
import { startTestApp } from "#test/harness.ts";
import { startFakeReceiver } from "#test/support/fake-receivers.ts";

/*
 * `npm run bench:alerting [-- --alerts 200 --spacing 25]`
 *
 * Latency from an alert's start to the HTTP request reaching a local webhook receiver, with
 * group_wait 0s (the target: p99 < 1 s plus the configured group_wait), on the real app with real
 * timers: the alerting flush timer, the outbox written in the flush's transaction, the delivery
 * worker woken after the commit, an HTTP POST to 127.0.0.1. Three sources, each alert in a new
 * group: an external alert (POST /api/v1/alerts/webhook), a rule firing (a group evaluation), and
 * an anomaly opening (the detection engine's verb, with anomaly alerts enabled).
 */

const { values } = parseArgs({ options: { alerts: { type: "string", default: "200" }, spacing: { type: "string", default: "25" } } });
const ALERTS = Number(values.alerts);
const SPACING_MS = Number(values.spacing);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const receiver = await startFakeReceiver("webhook");
const t = await startTestApp({ AUSPEX_RULES_DEFAULT_INTERVAL: "1h", AUSPEX_RULES_MAX_GROUPS: String(Math.max(100, ALERTS)) });
try {
  const owner = await t.register("bench_alerting");
  const token = owner.access_token;
  const key = await t.apiKey(token, ["ingest", "admin", "read"]);
  const inject = (method: "POST" | "PUT", url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.auspex.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, payload: payload as Record<string, unknown> });
  const channels = await inject("PUT", "/api/v1/notifications/channels", { channels: [{ name: "bench", type: "webhook", config: { url: `${receiver.url}/hook` } }] });
  if (channels.statusCode !== 200) throw new Error(channels.body);
  const config = await inject("PUT", "/api/v1/alerting/config", {
    route: { receivers: ["*"], group_by: ["alertname", "bench_id"], group_wait: "0s", group_interval: "5m", repeat_interval: "4h" },
    anomaly_alerts: { enabled: true, min_score: 1 },
    incident_alerts: { enabled: false, min_severity: "critical" },
  });
  if (config.statusCode !== 200) throw new Error(config.body);

  const sentAt = new Map<string, number>();
  const latencies = new Map<string, number[]>();
  const received = new Set<string>();
  receiver.script((request) => {
    const body = request.json as { alerts?: Array<{ labels: Record<string, string> }> } | undefined;
    const at = performance.now();
    for (const alert of body?.alerts ?? []) {
      const id = alert.labels.bench_id;
      if (id === undefined || received.has(id)) continue;
      received.add(id);
      const source = id.split("-")[0]!;
      let list = latencies.get(source);
      if (!list) latencies.set(source, (list = []));
      list.push(at - (sentAt.get(id) ?? at));
    }
    return undefined;
  });

  const rules = ["groups:"];
  for (let i = 0; i < ALERTS; i++) rules.push(`  - name: g${i}\n    rules:\n      - alert: Rule${i}\n        expr: vector(1)\n        labels:\n          bench_id: rule-${i}`);
  const put = await t.auspex.app.inject({ method: "PUT", url: "/api/v1/rules", headers: { authorization: `Bearer ${key}`, "content-type": "application/yaml" }, payload: `${rules.join("\n")}\n` });
  if (put.statusCode !== 200) throw new Error(put.body);

  for (let i = 0; i < ALERTS; i++) {
    const id = `external-${i}`;
    sentAt.set(id, performance.now());
    const response = await inject("POST", "/api/v1/alerts/webhook", [{ labels: { alertname: `External${i}`, bench_id: id } }]);
    if (response.statusCode !== 200) throw new Error(response.body);
    await sleep(SPACING_MS);
    const ruleId = `rule-${i}`;
    sentAt.set(ruleId, performance.now());
    await t.auspex.rules.service.evaluateGroup(owner.user.id, `g${i}`, Date.now());
    await sleep(SPACING_MS);
    const anomalyId = `anomaly-${i}`;
    sentAt.set(anomalyId, performance.now());
    await t.auspex.anomalies.observeAnomaly(owner.user.id, {
      labels: { __name__: `bench_metric_${i}`, instance: "bench:1", bench_id: anomalyId },
      t: Date.now(),
      score: 2,
      value: 10,
      expected: 1,
      lower: 0,
      upper: 2,
      direction: "up",
      votes: { baseline: 2 },
    });
    await sleep(SPACING_MS);
  }
  const deadline = performance.now() + 30_000;
  while (received.size < ALERTS * 3 && performance.now() < deadline) await sleep(50);

  console.log(`Alert → webhook latency, group_wait 0s, ${ALERTS} alerts per source (one new group each), ${SPACING_MS} ms apart, real timers\n`);
  console.log("| source | delivered | p50 | p90 | p99 | max |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const source of ["external", "rule", "anomaly"]) {
    const sorted = [...(latencies.get(source) ?? [])].sort((a, b) => a - b);
    const f = (v: number) => `${v.toFixed(1)} ms`;
    console.log(`| ${source} | ${sorted.length}/${ALERTS} | ${f(quantile(sorted, 0.5))} | ${f(quantile(sorted, 0.9))} | ${f(quantile(sorted, 0.99))} | ${f(sorted.at(-1) ?? Number.NaN)} |`);
  }
} finally {
  await t.close();
  await receiver.close();
}
