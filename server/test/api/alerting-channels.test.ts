import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ChannelList } from "@auspex/shared/contracts/notifications.ts";
import { manualClock, startTestApp, type TestApp } from "#test/harness.ts";
import { startFakeReceiver, startFakeSmtpServer, type FakeHttpReceiver, type FakeSmtpServer } from "#test/support/fake-receivers.ts";

/*
 * An incident from the anomaly stream, through the alerting pipeline, to every kind of channel
 * (real local receivers speaking Slack, PagerDuty, Teams, Discord, webhook and SMTP): firing
 * and resolved messages in each channel's format, seed 000's incident text in email and Slack,
 * PagerDuty trigger, acknowledge and resolve under one dedup_key.
 */

const T0 = Date.parse("2026-10-05T09:00:00Z");

describe("alerting to every channel kind", () => {
  const clock = manualClock(new Date(T0));
  let t: TestApp;
  let key: string;
  let userId: string;
  const receivers: Record<"slack" | "pagerduty" | "msteams" | "discord" | "webhook", FakeHttpReceiver> = {} as never;
  let smtp: FakeSmtpServer;

  const deliver = async (seconds: number) => {
    clock.advance(seconds);
    await t.auspex.alerting.flushDue();
    await t.auspex.notifications.worker.runDue();
  };

  before(async () => {
    t = await startTestApp({}, { clock });
    const registered = await t.register("channels_owner");
    userId = registered.user.id;
    key = await t.apiKey(registered.access_token, ["admin", "read"]);
    for (const kind of ["slack", "pagerduty", "msteams", "discord", "webhook"] as const) receivers[kind] = await startFakeReceiver(kind);
    smtp = await startFakeSmtpServer();
    const put = await t.auspex.app.inject({
      method: "PUT",
      url: "/api/v1/notifications/channels",
      headers: { authorization: `Bearer ${key}` },
      payload: {
        channels: [
          { name: "slack", type: "slack", secrets: { webhook_url: `${receivers.slack.url}/services/T/B/x` } },
          { name: "pager", type: "pagerduty", config: { url: `${receivers.pagerduty.url}/v2/enqueue` }, secrets: { routing_key: "R0UT1NGKEY" } },
          { name: "teams", type: "msteams", secrets: { webhook_url: `${receivers.msteams.url}/webhook` } },
          { name: "discord", type: "discord", secrets: { webhook_url: `${receivers.discord.url}/api/webhooks/1/x` } },
          { name: "hook", type: "webhook", config: { url: `${receivers.webhook.url}/alerts` } },
          { name: "mail", type: "email", config: { to: ["oncall@example.com"], from: "auspex@example.com", smtp_host: "127.0.0.1", smtp_port: smtp.port, smtp_security: "none" } },
        ],
      },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<ChannelList>().channels.length, 6);
    const config = await t.auspex.app.inject({
      method: "PUT",
      url: "/api/v1/alerting/config",
      headers: { authorization: `Bearer ${key}` },
      payload: { route: { receivers: ["*"], group_wait: "0s", group_interval: "1m" } },
    });
    assert.equal(config.statusCode, 200, config.body);
  });
  after(async () => {
    await t.close();
    for (const r of Object.values(receivers)) await r.close();
    await smtp.stop();
  });

  it("tells every channel when an incident opens and when it resolves, each in its format", async () => {
    const labels = { __name__: "node_memory_MemAvailable_bytes", instance: "web-7:9100", job: "node" };
    await t.auspex.anomalies.observeAnomaly(userId, { labels, t: T0, score: 4.5, value: 300e6, expected: 4e9, lower: 3.5e9, upper: 4.5e9, direction: "down", votes: { baseline: 4.5 } });
    await t.auspex.incidents.idle();
    await deliver(1);
    for (const [kind, r] of Object.entries(receivers)) assert.equal(r.accepted().length, 1, `${kind}: one firing message`);
    assert.equal(smtp.messages.length, 1);

    const mail = smtp.messages[0]!;
    assert.match(mail.subject, /^\[(HIGH|CRITICAL)\] /, "seed 000's subject");
    assert.match(mail.text, /INCIDENT/);
    assert.match(mail.text, /Root Cause: /);
    assert.match(mail.text, /Anomalies: 1 \| Confidence: \d+%/);
    const slack = receivers.slack.requests[0]!.body;
    assert.match(slack, /\[(HIGH|CRITICAL)\]/);
    assert.match(slack, /Root Cause/);
    assert.ok((receivers.slack.requests[0]!.json as { blocks?: unknown[] }).blocks?.length, "Block Kit");
    const trigger = receivers.pagerduty.requests[0]!.json as { event_action: string; dedup_key: string; routing_key: string };
    assert.equal(trigger.event_action, "trigger");
    assert.equal(trigger.routing_key, "R0UT1NGKEY");
    const hook = receivers.webhook.requests[0]!.json as { version: string; status: string; alerts: Array<{ labels: Record<string, string> }> };
    assert.equal(hook.version, "4");
    assert.equal(hook.status, "firing");
    assert.equal(hook.alerts[0]?.labels.alertname, "Incident");
    assert.ok(receivers.webhook.requests[0]!.headers["x-auspex-idempotency-key"], "the idempotency key header");
    const teams = receivers.msteams.requests[0]!.json as { type: string; attachments: Array<{ contentType: string; content: { body: Array<{ text: string }> } }> };
    assert.equal(teams.attachments[0]?.contentType, "application/vnd.microsoft.card.adaptive");
    assert.match(teams.attachments[0]?.content.body[0]?.text ?? "", /\[(HIGH|CRITICAL)\]/);
    assert.ok((receivers.discord.requests[0]!.json as { embeds?: unknown[] }).embeds?.length, "Discord embeds");

    // Acknowledged: PagerDuty acknowledges the same incident; the others say who and why.
    const [alert] = (await t.auspex.app.inject({ method: "GET", url: "/api/v1/alerts?filter=alertname%3D%22Incident%22", headers: { authorization: `Bearer ${key}` } })).json<{ alerts: Array<{ id: string }> }>().alerts;
    const ack = await t.auspex.app.inject({ method: "POST", url: `/api/v1/alerts/${alert!.id}/ack`, headers: { authorization: `Bearer ${key}` }, payload: { note: "on it" } });
    assert.equal(ack.statusCode, 200, ack.body);
    await deliver(1);
    for (const [kind, r] of Object.entries(receivers)) assert.equal(r.accepted().length, 2, `${kind}: an acknowledgement`);
    const acknowledge = receivers.pagerduty.requests[1]!.json as { event_action: string; dedup_key: string };
    assert.deepEqual([acknowledge.event_action, acknowledge.dedup_key], ["acknowledge", trigger.dedup_key]);
    assert.match(receivers.slack.requests[1]!.body, /channels_owner/);
    assert.match(receivers.slack.requests[1]!.body, /on it/);

    // Resolved by hand: every channel hears it once more; PagerDuty resolves the same incident.
    const [incident] = (await t.auspex.app.inject({ method: "GET", url: "/api/v1/incidents", headers: { authorization: `Bearer ${key}` } })).json<{ incidents: Array<{ id: string }> }>().incidents;
    const resolved = await t.auspex.app.inject({ method: "POST", url: `/api/v1/incidents/${incident!.id}/resolve`, headers: { authorization: `Bearer ${key}` }, payload: { note: "restarted" } });
    assert.equal(resolved.statusCode, 200, resolved.body);
    await deliver(60);
    for (const [kind, r] of Object.entries(receivers)) assert.equal(r.accepted().length, 3, `${kind}: a resolved message`);
    const resolve = receivers.pagerduty.requests[2]!.json as { event_action: string; dedup_key: string };
    assert.deepEqual([resolve.event_action, resolve.dedup_key], ["resolve", trigger.dedup_key]);
    assert.equal((receivers.webhook.requests[2]!.json as { status: string }).status, "resolved");
    assert.equal(smtp.messages.length, 3);
    assert.match(smtp.messages[2]!.text, /RESOLVED/);
  });
});
