import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "@auspex/shared/contracts/alerting.ts";
import type { Channel, ChannelList } from "@auspex/shared/contracts/notifications.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";
import { startFakeReceiver, type FakeHttpReceiver, type RecordedRequest } from "#test/support/fake-receivers.ts";

/*
 * Alerting end to end with real local receivers (Alertmanager webhook v4 over HTTP): alerts from
 * an external Prometheus and from rules, grouped, silenced, inhibited, acknowledged, escalated and
 * damped, flushed into the outbox and delivered by the worker. Time is a manual clock; flushes
 * and deliveries are driven by hand, never by sleeping.
 */

const T0 = Date.parse("2026-08-03T10:00:00Z");
const S = 1000;
const MIN = 60 * S;

interface WebhookBody {
  status: string;
  receiver: string;
  alerts: Array<{ status: string; labels: Record<string, string>; fingerprint: string; endsAt: string }>;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  version: string;
  groupKey: string;
}

describe("alerting", () => {
  const clock = manualClock(new Date(T0));
  let t: TestApp;
  let token: string;
  let key: string;
  let other: string;
  let ownerId: string;
  let team: FakeHttpReceiver;
  let pager: FakeHttpReceiver;
  let channels: Channel[];

  const bodies = (r: FakeHttpReceiver): WebhookBody[] => r.requests.map((q: RecordedRequest) => q.json as WebhookBody);
  const post = (url: string, payload: unknown, as = token) => t.auspex.app.inject({ method: "POST", url, headers: t.bearer(as), payload: payload as Record<string, unknown> });
  const put = (url: string, payload: unknown, as = token) => t.auspex.app.inject({ method: "PUT", url, headers: t.bearer(as), payload: payload as Record<string, unknown> });
  /** Moves the clock, runs due flushes, then delivers what they wrote to the outbox. */
  const advance = async (ms: number) => {
    clock.advance(ms / 1000);
    await t.auspex.alerting.flushDue();
    await t.auspex.notifications.worker.runDue();
  };
  const fire = async (alerts: Array<{ labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }>) => {
    const response = await post("/api/v1/alerts/webhook", alerts, key);
    assert.equal(response.statusCode, 200, response.body);
  };
  const alerts = async (query = ""): Promise<Alert[]> => {
    const response = await t.auspex.app.inject({ method: "GET", url: `/api/v1/alerts${query}`, headers: t.bearer(token) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ alerts: Alert[] }>().alerts;
  };
  const configure = async (config: unknown) => {
    const response = await put("/api/v1/alerting/config", config);
    assert.equal(response.statusCode, 200, response.body);
  };

  before(async () => {
    t = await startTestApp({}, { clock });
    const registered = await t.register("alert_owner");
    ownerId = registered.user.id;
    // API keys, not access tokens: the test clock moves hours ahead and tokens would expire.
    token = await t.apiKey(registered.access_token, ["admin", "read"]);
    key = await t.apiKey(registered.access_token, ["ingest"]);
    const second = await t.register("alert_other");
    other = await t.apiKey(second.access_token, ["admin", "read"]);
    team = await startFakeReceiver("webhook");
    pager = await startFakeReceiver("webhook");
    const response = await put("/api/v1/notifications/channels", {
      channels: [
        { name: "team", type: "webhook", config: { url: `${team.url}/hook` } },
        { name: "pager", type: "webhook", config: { url: `${pager.url}/hook` } },
      ],
    });
    assert.equal(response.statusCode, 200, response.body);
    channels = response.json<ChannelList>().channels;
  });
  after(async () => {
    await t.close();
    await team.close();
    await pager.close();
  });
  const channel = (name: string) => channels.find((c) => c.name === name)!.id;

  it("groups 50 alerts from one host into one Alertmanager-shaped message after group_wait, then sends their resolution", async () => {
    await configure({ route: { receivers: [channel("team")], group_by: ["instance"], group_wait: "30s", group_interval: "5m", repeat_interval: "1h" } });
    await fire(Array.from({ length: 50 }, (_, i) => ({ labels: { alertname: `Check${i}`, instance: "web-1:9100", severity: "warning" }, annotations: { summary: `check ${i}` } })));
    await advance(29 * S);
    assert.equal(team.requests.length, 0, "nothing before group_wait");
    await advance(1 * S);
    assert.equal(team.requests.length, 1, "one message for the group");
    const [first] = bodies(team);
    assert.equal(first?.version, "4");
    assert.equal(first?.status, "firing");
    assert.equal(first?.receiver, "team");
    assert.equal(first?.alerts.length, 50);
    assert.deepEqual(first?.groupLabels, { instance: "web-1:9100" });
    assert.deepEqual(first?.commonLabels, { instance: "web-1:9100", severity: "warning" });
    assert.equal(first?.groupKey, '{0}:{instance="web-1:9100"}');
    assert.equal(first?.alerts[0]?.endsAt, "0001-01-01T00:00:00Z");

    // Resolve them all: told at the next group_interval, with their end time.
    await fire(Array.from({ length: 50 }, (_, i) => ({ labels: { alertname: `Check${i}`, instance: "web-1:9100", severity: "warning" }, endsAt: new Date(T0 + 31 * S).toISOString() })));
    await advance(4 * MIN);
    assert.equal(team.requests.length, 1);
    await advance(MIN);
    assert.equal(team.requests.length, 2);
    const resolved = bodies(team)[1];
    assert.equal(resolved?.status, "resolved");
    assert.equal(resolved?.alerts.length, 50);
    assert.ok(resolved?.alerts.every((a) => a.status === "resolved" && a.endsAt !== "0001-01-01T00:00:00Z"));
    await advance(10 * MIN);
    assert.equal(team.requests.length, 2, "nothing more: the group is gone");
  });

  it("leaves silenced, maintained and inhibited alerts out, and shows why", async () => {
    await configure({
      route: { receivers: [channel("team")], group_by: ["alertname"], group_wait: "10s", group_interval: "1m", repeat_interval: "1h" },
      inhibit_rules: [{ source_matchers: ['alertname="HostDown"'], target_matchers: ['severity="warning"'], equal: ["instance"] }],
    });
    const silence = await post("/api/v1/silences", { matchers: ['alertname="NoisyCheck"'], ends_at: new Date(T0 + 3 * 3_600_000).toISOString(), comment: "known flapping" });
    assert.equal(silence.statusCode, 201, silence.body);
    assert.equal(silence.json<{ created_by: string }>().created_by, "alert_owner");
    // Mondays 09:00–13:00 UTC: the test clock is Monday 10:00.
    const window = await post("/api/v1/maintenance-windows", { name: "db-4 patching", matchers: ['instance="db-4:9100"'], days: ["mon"], start: "09:00", duration: "4h" });
    assert.equal(window.statusCode, 201, window.body);
    assert.equal(window.json<{ active: boolean }>().active, true);
    const before = team.requests.length;
    await fire([
      { labels: { alertname: "DbPatching", instance: "db-4:9100", severity: "warning" } },
      { labels: { alertname: "HostDown", instance: "db-1:9100", severity: "critical" } },
      { labels: { alertname: "HighLoad", instance: "db-1:9100", severity: "warning" } },
      { labels: { alertname: "HighLoad", instance: "db-2:9100", severity: "warning" } },
      { labels: { alertname: "NoisyCheck", instance: "db-3:9100", severity: "warning" } },
    ]);
    await advance(10 * S);
    const sent = bodies(team).slice(before);
    const notified = sent.flatMap((b) => b.alerts.map((a) => `${a.labels.alertname}@${a.labels.instance}`)).sort();
    assert.deepEqual(notified, ["HighLoad@db-2:9100", "HostDown@db-1:9100"]);
    const listed = await alerts("?filter=" + encodeURIComponent('instance=~"db-.*"'));
    const byName = (name: string, instance: string) => listed.find((a) => a.labels.alertname === name && a.labels.instance === instance)!;
    assert.equal(byName("HighLoad", "db-1:9100").inhibited_by.length, 1);
    assert.equal(byName("NoisyCheck", "db-3:9100").silenced_by[0], silence.json<{ id: string }>().id);
    assert.equal(byName("DbPatching", "db-4:9100").silenced_by[0], window.json<{ id: string }>().id, "muted by the maintenance window");
    assert.equal((await alerts("?silenced=true")).length, 3);
  });

  it("repeats unacknowledged alerts after repeat_interval, not acknowledged ones, and escalates only the unacknowledged", async () => {
    await configure({
      route: {
        receivers: [channel("team")],
        group_by: ["alertname"],
        group_wait: "0s",
        group_interval: "1m",
        repeat_interval: "30m",
        escalation: { after: "10m", receivers: [channel("pager")] },
      },
    });
    const start = team.requests.length;
    await fire([{ labels: { alertname: "DiskFull", instance: "nas-1:9100", severity: "critical" } }, { labels: { alertname: "QueueStuck", instance: "mq-1:9100", severity: "critical" } }]);
    await advance(1 * S);
    const mine = (b: WebhookBody) => b.alerts.some((a) => ["DiskFull", "QueueStuck"].includes(a.labels.alertname ?? ""));
    assert.equal(bodies(team).slice(start).filter(mine).length, 2, "one message per alertname group");
    const disk = (await alerts('?filter=alertname%3D%22DiskFull%22'))[0]!;
    const ack = await post(`/api/v1/alerts/${disk.id}/ack`, { note: "cleaning up" });
    assert.equal(ack.statusCode, 200, ack.body);
    assert.deepEqual({ ...ack.json<Alert>().acknowledged, at: "" }, { at: "", note: "cleaning up" });
    // Keep them firing (an external alert resolves 5 minutes after its last report).
    for (let m = 0; m < 35; m += 4) {
      await advance(4 * MIN);
      await fire([{ labels: { alertname: "DiskFull", instance: "nas-1:9100", severity: "critical" } }, { labels: { alertname: "QueueStuck", instance: "mq-1:9100", severity: "critical" } }]);
    }
    await advance(MIN);
    const escalated = bodies(pager);
    assert.deepEqual(escalated.map((b) => b.alerts.map((a) => a.labels.alertname)), [["QueueStuck"]], "escalated once, without the acknowledged alert");
    const sent = team.requests.slice(start).filter((q) => mine(q.json as WebhookBody));
    const acknowledgements = sent.filter((q) => q.headers["x-auspex-event"] === "acknowledge").map((q) => (q.json as WebhookBody).alerts.map((a) => a.labels.alertname).join());
    assert.deepEqual(acknowledgements, ["DiskFull"], "the receiver heard the acknowledgement once");
    const repeats = sent
      .filter((q) => q.headers["x-auspex-event"] !== "acknowledge")
      .slice(2)
      .map((q) => (q.json as WebhookBody).alerts.map((a) => a.labels.alertname).join());
    assert.deepEqual(repeats, ["QueueStuck"], "the acknowledged DiskFull is not repeated; QueueStuck is, once in 30 min");
    const history = (await t.auspex.app.inject({ method: "GET", url: `/api/v1/alerts/history?fingerprint=${disk.id}`, headers: t.bearer(token) })).json<{ history: Array<{ event: string; detail: string }> }>().history;
    assert.deepEqual(history.map((h) => h.event).reverse().slice(0, 3), ["firing", "notified", "acknowledged"]);
    assert.equal(history.find((h) => h.event === "acknowledged")?.detail, "acknowledged: cleaning up");
  });

  it("damps flapping: an alert resolved within flap_damping is never sent, one still firing after it is", async () => {
    await configure({ route: { receivers: [channel("team")], group_by: ["alertname"], group_wait: "0s", group_interval: "30s", flap_damping: "3m" } });
    const start = team.requests.length;
    await fire([{ labels: { alertname: "Flappy", instance: "f-1" } }, { labels: { alertname: "Steady", instance: "s-1" } }]);
    await advance(MIN);
    await fire([{ labels: { alertname: "Flappy", instance: "f-1" }, endsAt: new Date(clock.now().getTime()).toISOString() }, { labels: { alertname: "Steady", instance: "s-1" } }]);
    await advance(MIN);
    assert.equal(team.requests.length, start, "nothing yet");
    await advance(MIN + 30 * S);
    const sent = bodies(team).slice(start);
    assert.deepEqual(sent.map((b) => b.alerts.map((a) => `${a.labels.alertname}:${a.status}`)), [["Steady:firing"]]);
  });

  it("routes rule alerts from a rules file evaluation", async () => {
    await configure({ route: { receivers: [channel("team")], group_by: ["alertname"], group_wait: "0s", group_interval: "1m" } });
    const rules = await t.auspex.app.inject({
      method: "PUT",
      url: "/api/v1/rules",
      headers: { ...t.bearer(token), "content-type": "application/yaml" },
      payload: "groups:\n  - name: always\n    interval: 1m\n    rules:\n      - alert: AlwaysOn\n        expr: vector(42)\n        labels:\n          severity: info\n        annotations:\n          summary: 'value {{ $value }}'\n",
    });
    assert.equal(rules.statusCode, 200, rules.body);
    const start = team.requests.length;
    await t.auspex.rules.service.evaluateGroup(ownerId, "always", clock.now().getTime());
    await advance(S);
    const sent = bodies(team).slice(start);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.alerts[0]?.labels.alertname, "AlwaysOn");
    const [listed] = await alerts('?filter=alertname%3D%22AlwaysOn%22');
    assert.equal(listed?.source, "rule");
    assert.equal(listed?.value, 42);
    assert.equal(listed?.annotations.summary, "value 42");
  });

  it("shows a delivery the receiver refused in the alert's history", async () => {
    await configure({ route: { receivers: [channel("team")], group_by: ["alertname"], group_wait: "0s", group_interval: "1m" } });
    team.setStatus(400, { body: "no such hook" });
    await fire([{ labels: { alertname: "Refused", instance: "x-1" } }]);
    await advance(S);
    team.setStatus(undefined);
    const [refused] = await alerts('?filter=alertname%3D%22Refused%22');
    const history = (await t.auspex.app.inject({ method: "GET", url: `/api/v1/alerts/history?fingerprint=${refused!.id}`, headers: t.bearer(token) })).json<{ history: Array<{ event: string; detail: string }> }>().history;
    const failed = history.find((h) => h.event === "delivery_failed");
    assert.ok(failed, JSON.stringify(history));
    assert.match(failed.detail, /^to team: refused: /);
    assert.match(failed.detail, /no such hook/);
  });

  it("rejects bad configuration, silences and windows naming the field, and hides other users' objects", async () => {
    assertError(await put("/api/v1/alerting/config", { route: { receivers: ["no-such-channel"] } }), 400, "validation_error", "body.route");
    assertError(await put("/api/v1/alerting/config", { route: { matchers: ["severity"] } }), 400, "validation_error", "body.route.matchers.0");
    assertError(await put("/api/v1/alerting/config", { route: { group_wait: "soon" } }), 400, "validation_error", "body.route.group_wait");
    assertError(await post("/api/v1/silences", { matchers: [], ends_at: "2030-01-01T00:00:00Z", comment: "x" }), 400, "validation_error", "body.matchers");
    assertError(await post("/api/v1/silences", { matchers: ['a="b"'], ends_at: "2020-01-01T00:00:00Z", comment: "x" }), 400, "validation_error", "body.ends_at");
    assertError(await post("/api/v1/maintenance-windows", { name: "w", matchers: ['a="b"'], days: ["sun"], start: "25:00", duration: "1h" }), 400, "validation_error", "body.start");
    assertError(await post("/api/v1/maintenance-windows", { name: "w", matchers: ['a="b"'], days: ["sun"], start: "02:00", duration: "1h", time_zone: "Mars/Olympus" }), 400, "validation_error", "body.time_zone");
    assertError(await post("/api/v1/alerts/webhook", [{ labels: { instance: "x" } }], key), 400, "validation_error");

    const [mine] = await alerts();
    assertError(await post(`/api/v1/alerts/${mine!.id}/ack`, {}, other), 404, "not_found");
    const silence = (await t.auspex.app.inject({ method: "GET", url: "/api/v1/silences", headers: t.bearer(token) })).json<{ silences: Array<{ id: string }> }>().silences[0]!;
    assertError(await t.auspex.app.inject({ method: "DELETE", url: `/api/v1/silences/${silence.id}`, headers: t.bearer(other) }), 404, "not_found");
    assert.deepEqual((await t.auspex.app.inject({ method: "GET", url: "/api/v1/alerts", headers: t.bearer(other) })).json(), { alerts: [] });
    const expired = await t.auspex.app.inject({ method: "DELETE", url: `/api/v1/silences/${silence.id}`, headers: t.bearer(token) });
    assert.equal(expired.statusCode, 204);
    const listed = (await t.auspex.app.inject({ method: "GET", url: "/api/v1/silences", headers: t.bearer(token) })).json<{ silences: Array<{ id: string; status: string }> }>().silences;
    assert.equal(listed.find((s) => s.id === silence.id)?.status, "expired");
  });
});
