import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Alert } from "@auspex/shared/contracts/alerting.ts";
import type { ChannelList } from "@auspex/shared/contracts/notifications.ts";
import { createAuspex, type Auspex } from "#server/compose.ts";
import { loadConfig } from "#server/config/load-config.ts";
import { createLogger } from "#server/platform/logger.ts";
import { manualClock, TEST_PASSWORD } from "#test/harness.ts";
import { startFakeReceiver, type FakeHttpReceiver } from "#test/support/fake-receivers.ts";

/*
 * Alerting across a restart (groups and alerts persisted: a group waiting for group_wait still
 * speaks after the process comes back) and anomaly alerts (opt-in) whose resolution carries the
 * series' current value.
 */

const T0 = Date.parse("2026-09-01T08:00:00Z");
const S = 1000;

describe("alerting durability and anomaly alerts", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "auspex-alerting-"));
  const clock = manualClock(new Date(T0));
  let receiver: FakeHttpReceiver;
  let app: Auspex;
  let key: string;
  let userId: string;

  const start = async () => {
    const config = loadConfig({ AUSPEX_DATA_DIR: dataDir, AUSPEX_LOG_LEVEL: "silent", AUSPEX_ARGON2_MEMORY_KIB: "8192", AUSPEX_ARGON2_ITERATIONS: "1", AUSPEX_RATE_LIMIT: "false", AUSPEX_SCRAPE: "false", AUSPEX_DETECTION: "false" });
    const auspex = await createAuspex(config, { logger: createLogger({ level: "silent", format: "json" }), clock });
    await auspex.app.ready();
    return auspex;
  };
  const call = (method: "GET" | "POST" | "PUT", url: string, payload?: unknown) =>
    app.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload !== undefined && { payload: payload as Record<string, unknown> }) });
  const deliver = async (seconds: number) => {
    clock.advance(seconds);
    await app.alerting.flushDue();
    await app.notifications.worker.runDue();
  };

  before(async () => {
    receiver = await startFakeReceiver("webhook");
    app = await start();
    const registered = await app.app.inject({ method: "POST", url: "/api/v1/auth/register", payload: { username: "durable", email: "durable@example.com", password: TEST_PASSWORD } });
    const tokens = registered.json<{ access_token: string; user: { id: string } }>();
    userId = tokens.user.id;
    const created = await app.app.inject({ method: "POST", url: "/api/v1/api-keys", headers: { authorization: `Bearer ${tokens.access_token}` }, payload: { name: "k", scopes: ["admin", "read", "ingest"] } });
    key = created.json<{ key: string }>().key;
    const channels = await call("PUT", "/api/v1/notifications/channels", { channels: [{ name: "hook", type: "webhook", config: { url: `${receiver.url}/hook` } }] });
    assert.equal(channels.json<ChannelList>().channels.length, 1, channels.body);
    const config = await call("PUT", "/api/v1/alerting/config", {
      route: { receivers: ["*"], group_by: ["alertname"], group_wait: "1m", group_interval: "1m" },
      anomaly_alerts: { enabled: true, min_score: 2 },
    });
    assert.equal(config.statusCode, 200, config.body);
  });
  after(async () => {
    await app.close();
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps a group waiting for group_wait across a restart, and sends it once", async () => {
    const fired = await call("POST", "/api/v1/alerts/webhook", [{ labels: { alertname: "Restarted", instance: "r-1" } }]);
    assert.equal(fired.statusCode, 200, fired.body);
    await deliver(30);
    assert.equal(receiver.requests.length, 0, "still inside group_wait");
    await app.close();
    app = await start();
    await app.alerting.start();
    await deliver(30);
    assert.equal(receiver.requests.length, 1, "the group survived the restart");
    assert.equal((receiver.requests[0]?.json as { alerts: Array<{ labels: { alertname: string } }> }).alerts[0]?.labels.alertname, "Restarted");
    await deliver(60);
    assert.equal(receiver.requests.length, 1, "once");
  });

  it("alerts on anomalies above the opted-in score and resolves them with the current value", async () => {
    const labels = { __name__: "app_queue_depth", instance: "q-1", job: "app" };
    const observe = (score: number) =>
      app.anomalies.observeAnomaly(userId, { labels, t: clock.now().getTime(), score, value: 900, expected: 100, lower: 50, upper: 150, direction: "up", votes: { baseline: score } });
    await observe(1.5);
    assert.deepEqual((await call("GET", "/api/v1/alerts?filter=alertname%3D%22AnomalyDetected%22")).json<{ alerts: Alert[] }>().alerts, [], "below min_score: no alert");
    await observe(2.5);
    const [alert] = (await call("GET", "/api/v1/alerts?filter=alertname%3D%22AnomalyDetected%22")).json<{ alerts: Alert[] }>().alerts;
    assert.ok(alert);
    assert.equal(alert.source, "anomaly");
    assert.deepEqual({ ...alert.labels }, { alertname: "AnomalyDetected", metric: "app_queue_depth", instance: "q-1", job: "app", severity: "warning" });
    assert.match(alert.annotations.summary ?? "", /^app_queue_depth on q-1: observed 900/);
    await app.anomalies.closeAnomaly(userId, labels, clock.now().getTime() + 60 * S, 110);
    const [resolved] = (await call("GET", "/api/v1/alerts?filter=alertname%3D%22AnomalyDetected%22")).json<{ alerts: Alert[] }>().alerts;
    assert.equal(resolved?.state, "resolved");
    assert.equal(resolved?.value, 110, "the series' value when it closed");
  });
});
