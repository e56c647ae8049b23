import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { discordPayload, emailMessage, pagerDutyPayload, slackPayload, teamsPayload, webhookPayload } from "#server/modules/notifications/channel-payloads.rules.ts";
import { alertTitle, formatWindow } from "#server/modules/notifications/message-text.rules.ts";
import type { Notification } from "#server/modules/notifications/notification.types.ts";
import { goldenNotification } from "#test/modules/notifications/goldens.ts";

/* The channel formats: Alertmanager's webhook v4 field by field against golden captures, seed 000's incident texts. */

const golden = new URL("../../../../../shared/conformance/alertmanager/", import.meta.url);
const present = existsSync(new URL("webhook-v4-am0.25.0-firing.json", golden));
const skip = present ? false : `Alertmanager golden payloads not found at ${golden.pathname} (needs /work/shared)`;

const incidentNotification: Notification = {
  ...goldenNotification("firing"),
  incident: {
    id: "inc-1",
    title: "High Memory Usage with Disk I/O Spikes",
    severity: "high",
    summary: "Memory at 92% with unusual disk write patterns",
    rootCause: "Potential memory leak causing swap usage",
    immediate: ["Restart affected service", "Check application logs"],
    anomalies: 2,
    confidence: 0.85,
    windowStart: "2026-01-31T09:50:00Z",
    windowEnd: "2026-01-31T09:51:00Z",
  },
};

/** Every path and leaf value, for a field-by-field comparison with a readable failure. */
function leaves(value: unknown, prefix = ""): Array<[string, unknown]> {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) return [[prefix, Array.isArray(value) ? "[]" : "{}"]];
    return entries.flatMap(([key, v]) => leaves(v, prefix === "" ? key : `${prefix}.${key}`));
  }
  return [[prefix, value]];
}

describe("generic webhook payload (Alertmanager webhook v4)", () => {
  for (const status of ["firing", "resolved"] as const) {
    it(`matches Alertmanager 0.25.0's ${status} payload field by field`, { skip }, () => {
      const expected = JSON.parse(readFileSync(new URL(`webhook-v4-am0.25.0-${status}.json`, golden), "utf8")) as unknown;
      const ours = webhookPayload(goldenNotification(status));
      assert.deepEqual(leaves(ours), leaves(expected));
      assert.deepEqual(Object.keys(ours), Object.keys(expected as object), "top-level fields in Alertmanager's order");
    });
  }

  it("truncates to max_alerts and counts the rest", () => {
    const payload = webhookPayload(goldenNotification("firing"), 1);
    assert.equal(payload.alerts.length, 1);
    assert.equal(payload.truncatedAlerts, 1);
  });
});

describe("alert titles", () => {
  it("follows Alertmanager's default title", () => {
    assert.equal(alertTitle(goldenNotification("firing")), "[FIRING:2] HighLatency (node page)");
    assert.equal(alertTitle(goldenNotification("resolved")), "[RESOLVED] HighLatency (node page)");
  });
});

describe("incident formats (seed 000)", () => {
  it("writes seed 000's email subject and body, times in the user's zone", () => {
    const mail = emailMessage(incidentNotification, "Asia/Kolkata");
    assert.equal(mail.subject, "[HIGH] High Memory Usage with Disk I/O Spikes");
    assert.equal(
      mail.text,
      [
        "🔴 HIGH INCIDENT",
        "─────────────────",
        "Window: 2026-01-31 15:20 → 15:21 IST",
        "",
        "Summary: Memory at 92% with unusual disk write patterns",
        "",
        "Root Cause: Potential memory leak causing swap usage",
        "",
        "Immediate Actions:",
        "• Restart affected service",
        "• Check application logs",
        "",
        "Anomalies: 2 | Confidence: 85%",
      ].join("\n"),
    );
  });

  it("writes seed 000's Slack lines as the text and in a Block Kit section", () => {
    const slack = slackPayload(incidentNotification, "Asia/Kolkata") as { text: string; blocks: Array<{ type: string; text?: { text: string } }> };
    assert.equal(
      slack.text,
      [
        "🔴 [HIGH] High Memory Usage with Disk I/O Spikes",
        "📅 Window: 2026-01-31 15:20 → 15:21 IST",
        "📋 Memory at 92% with unusual disk write patterns",
        "🔍 Root Cause: Potential memory leak causing swap usage",
        "⚡ Actions: Restart affected service, Check application logs",
        "📊 Anomalies: 2",
      ].join("\n"),
    );
    assert.equal(slack.blocks[0]?.type, "section");
    assert.match(slack.blocks[0]?.text?.text ?? "", /^\*🔴 \[HIGH\] High Memory Usage with Disk I\/O Spikes\*\n📅 Window/);
  });

  it("uses UTC and shows the end date when the window crosses midnight", () => {
    assert.equal(formatWindow("2026-01-31T23:50:00Z", "2026-02-01T00:10:00Z", "UTC"), "2026-01-31 23:50 → 2026-02-01 00:10 UTC");
  });

  it("marks resolved incidents", () => {
    const mail = emailMessage({ ...incidentNotification, status: "resolved" }, "UTC");
    assert.equal(mail.subject, "[RESOLVED] [HIGH] High Memory Usage with Disk I/O Spikes");
    assert.match(mail.text, /^✅ RESOLVED HIGH INCIDENT/);
  });
});

describe("alert formats", () => {
  it("Slack: header with the title, the alerts in a section, mrkdwn escaped", () => {
    const n = goldenNotification("firing");
    n.alerts[0]!.annotations.summary = "p99 > 2s & rising";
    const slack = slackPayload(n, "UTC") as { text: string; blocks: Array<{ type: string; text: { text: string } }> };
    assert.equal(slack.text, "[FIRING:2] HighLatency (node page)");
    assert.equal(slack.blocks[0]!.type, "header");
    assert.equal(slack.blocks[0]!.text.text, "[FIRING:2] HighLatency (node page)");
    assert.match(slack.blocks[1]!.text.text, /\[FIRING\] p99 &gt; 2s &amp; rising/);
    assert.match(slack.blocks[1]!.text.text, /Started: 2026-11-22 18:20 UTC/);
  });

  it("shows the value and the resolve time of resolved alerts, and who acknowledged", () => {
    const n = { ...goldenNotification("resolved"), acknowledged: { by: "alice", note: "looking" } };
    const mail = emailMessage(n, "UTC");
    assert.match(mail.text, /^\[RESOLVED\] HighLatency \(node page\)\nAcknowledged by alice: looking/);
    assert.match(mail.text, /Resolved: 2026-11-22 18:20 UTC\nValue: 0\.12/);
  });

  it("PagerDuty: trigger with payload and links; acknowledge and resolve with the dedup key only", () => {
    const options = { routingKey: "R", dedupKey: "D", source: "auspex" };
    const trigger = pagerDutyPayload(goldenNotification("firing"), "trigger", options, "UTC") as Record<string, unknown> & { payload: Record<string, unknown> };
    assert.equal(trigger.routing_key, "R");
    assert.equal(trigger.event_action, "trigger");
    assert.equal(trigger.dedup_key, "D");
    assert.equal(trigger.payload.summary, "[FIRING:2] HighLatency (node page)");
    assert.equal(trigger.payload.severity, "error");
    assert.equal(trigger.payload.class, "HighLatency");
    assert.equal(trigger.client_url, "http://am.example:9093");
    assert.deepEqual(pagerDutyPayload(goldenNotification("resolved"), "resolve", options, "UTC"), { routing_key: "R", event_action: "resolve", dedup_key: "D" });
    assert.deepEqual(pagerDutyPayload(goldenNotification("firing"), "acknowledge", options, "UTC"), { routing_key: "R", event_action: "acknowledge", dedup_key: "D" });
    const incident = pagerDutyPayload(incidentNotification, "trigger", options, "UTC") as { payload: { severity: string; summary: string } };
    assert.equal(incident.payload.severity, "error");
    assert.equal(incident.payload.summary, "[HIGH] High Memory Usage with Disk I/O Spikes");
  });

  it("Teams: an Adaptive Card; Discord: an embed coloured by status", () => {
    const teams = teamsPayload(goldenNotification("firing"), "UTC") as { type: string; attachments: Array<{ contentType: string; content: { type: string; body: Array<{ text: string }> } }> };
    assert.equal(teams.type, "message");
    assert.equal(teams.attachments[0]!.contentType, "application/vnd.microsoft.card.adaptive");
    assert.equal(teams.attachments[0]!.content.body[0]!.text, "[FIRING:2] HighLatency (node page)");
    const discord = discordPayload(goldenNotification("resolved"), "UTC") as { embeds: Array<{ title: string; color: number; description: string }> };
    assert.equal(discord.embeds[0]!.title, "[RESOLVED] HighLatency (node page)");
    assert.equal(discord.embeds[0]!.color, 0x2ecc71);
    assert.match(discord.embeds[0]!.description, /Latency high on a:9100/);
  });
});
