import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { enqueueNotifications, pagerDutyDedupKey, type OutboxItem } from "#server/modules/notifications/index.ts";
import { freePort, startFakeReceiver, startFakeSmtpServer, type FakeHttpReceiver } from "#test/support/fake-receivers.ts";
import { goldenNotification } from "#test/modules/notifications/goldens.ts";
import { counterValue, SETTINGS, startKit, type Kit } from "#test/modules/notifications/notifications-kit.ts";

/*
 * The outbox and its worker against real local receivers, on a real SQLite file, with a manual
 * clock: retries with backoff and Retry-After, giving up, ordering, and the two crash windows.
 */

let sequence = 0;
const item = (kit: Kit, channelId: string, overrides: Partial<OutboxItem> = {}): OutboxItem => ({
  userId: kit.userId,
  channelId,
  notification: goldenNotification("firing"),
  idempotencyKey: `key-${++sequence}`,
  event: "trigger",
  ...overrides,
});

async function deliveries(kit: Kit) {
  return kit.module.listDeliveries(kit.actor, { limit: 100 });
}

/** Moves the manual clock to the earliest pending retry and runs the worker once. */
async function advanceToNextRetry(kit: Kit): Promise<void> {
  const now = kit.clock.now().getTime();
  const pending = (await deliveries(kit)).filter((d) => d.status === "pending" && d.attempts > 0 && d.next_attempt_at !== null);
  assert.ok(pending.length > 0, "a retry is pending");
  const next = Math.min(...pending.map((d) => Date.parse(d.next_attempt_at!)));
  if (next > now) kit.clock.advance((next - now) / 1000);
  await kit.module.worker.runDue();
}

describe("notification delivery worker", () => {
  let receiver: FakeHttpReceiver;
  before(async () => {
    receiver = await startFakeReceiver("webhook");
  });
  after(() => receiver.close());

  it("retries a receiver answering 500 for two minutes with growing backoff, then delivers exactly once", async () => {
    const kit = await startKit();
    const hook = await startFakeReceiver("webhook");
    try {
      const recoverAt = kit.clock.now().getTime() + 120_000;
      hook.script(() => (kit.clock.now().getTime() < recoverAt ? { status: 500, body: "upstream broken" } : undefined));
      const [channelId] = await kit.putChannels({ channels: [{ name: "hook", type: "webhook", enabled: true, send_resolved: true, config: { url: `${hook.url}/alerts` } }] });
      // Written in the caller's transaction, as the alerting pipeline does.
      await kit.database.db.transaction().execute((trx) => enqueueNotifications(trx, [item(kit, channelId!)]));
      await kit.module.worker.runDue();
      const gaps: number[] = [];
      let last = kit.clock.now().getTime();
      while ((await deliveries(kit))[0]!.status === "pending") {
        await advanceToNextRetry(kit);
        gaps.push(kit.clock.now().getTime() - last);
        last = kit.clock.now().getTime();
      }
      const [delivery] = await deliveries(kit);
      assert.equal(delivery!.status, "delivered");
      assert.equal(hook.accepted().length, 1, "exactly one delivery after recovery");
      assert.ok(hook.requests.length >= 3, `several attempts were made (${hook.requests.length})`);
      assert.ok(hook.requests.slice(0, -1).every((r) => r.status === 500));
      assert.ok(gaps.every((gap, i) => i === 0 || gap >= gaps[i - 1]!), `backoff grows: ${gaps.join(", ")}`);
      assert.ok(new Set(hook.requests.map((r) => r.headers["x-auspex-idempotency-key"])).size === 1, "every attempt carries the same idempotency key");
      assert.equal(await counterValue(kit.metrics, { channel: "webhook", outcome: "success" }), 1);
      assert.equal(await counterValue(kit.metrics, { channel: "webhook", outcome: "retry" }), hook.requests.length - 1);
      // Nothing more goes out later.
      kit.clock.advance(3600);
      await kit.module.worker.runDue();
      assert.equal(hook.requests.length, hook.accepted().length + hook.requests.filter((r) => r.status === 500).length);
      assert.equal(hook.accepted().length, 1);
    } finally {
      await hook.close();
      await kit.close();
    }
  });

  it("waits at least as long as Retry-After asks", async () => {
    const kit = await startKit();
    try {
      const [channelId] = await kit.putChannels({ channels: [{ name: "slack", type: "slack", enabled: true, send_resolved: true, config: {}, secrets: { webhook_url: `${receiver.url}/slack` } }] });
      receiver.setStatus(429, { retryAfter: "300" });
      await enqueueNotifications(kit.database.db, [item(kit, channelId!)]);
      await kit.module.worker.runDue();
      const [pending] = await deliveries(kit);
      assert.equal(pending!.status, "pending");
      assert.equal(pending!.last_status_code, 429);
      assert.ok(Date.parse(pending!.next_attempt_at!) - kit.clock.now().getTime() >= 300_000, "the retry waits for Retry-After (300 s > backoff)");
      receiver.setStatus(undefined);
    } finally {
      receiver.setStatus(undefined);
      await kit.close();
    }
  });

  it("gives up after the configured time, visible in history and the metric", async () => {
    const kit = await startKit();
    const hook = await startFakeReceiver("webhook");
    try {
      hook.setStatus(503);
      const [channelId] = await kit.putChannels({ channels: [{ name: "hook", type: "webhook", enabled: true, send_resolved: true, config: { url: hook.url } }] });
      await enqueueNotifications(kit.database.db, [item(kit, channelId!)]);
      const started = kit.clock.now().getTime();
      await kit.module.worker.runDue();
      while ((await deliveries(kit))[0]!.status === "pending") await advanceToNextRetry(kit);
      const [failed] = await deliveries(kit);
      assert.equal(failed!.status, "failed");
      assert.match(failed!.last_error ?? "", /gave up after \d+ attempts: receiver answered HTTP 503/);
      assert.equal(kit.clock.now().getTime() - started, 30 * 60_000, "the last attempt is made at the give-up time");
      assert.equal(await counterValue(kit.metrics, { channel: "webhook", outcome: "failed" }), 1);
    } finally {
      await hook.close();
      await kit.close();
    }
  });

  it("fails at once when the receiver refuses the message (4xx)", async () => {
    const kit = await startKit();
    const hook = await startFakeReceiver("discord");
    try {
      hook.setStatus(400, { body: '{"message": "Cannot send an empty message"}' });
      const [channelId] = await kit.putChannels({ channels: [{ name: "discord", type: "discord", enabled: true, send_resolved: true, config: {}, secrets: { webhook_url: hook.url } }] });
      await enqueueNotifications(kit.database.db, [item(kit, channelId!)]);
      await kit.module.worker.runDue();
      const [failed] = await deliveries(kit);
      assert.equal(failed!.status, "failed");
      assert.match(failed!.last_error ?? "", /^refused: receiver answered HTTP 400: .*empty message/);
      assert.equal(hook.requests.length, 1);
    } finally {
      await hook.close();
      await kit.close();
    }
  });

  it("keeps the order within an alert group: a resolve waits for its trigger", async () => {
    const kit = await startKit();
    const hook = await startFakeReceiver("pagerduty");
    try {
      hook.setStatus(500);
      const [channelId] = await kit.putChannels({ channels: [{ name: "pd", type: "pagerduty", enabled: true, send_resolved: true, config: { url: `${hook.url}/v2/enqueue` }, secrets: { routing_key: "RK" } }] });
      await enqueueNotifications(kit.database.db, [item(kit, channelId!)]);
      await kit.module.worker.runDue();
      await enqueueNotifications(kit.database.db, [item(kit, channelId!, { event: "resolve", notification: goldenNotification("resolved") })]);
      await kit.module.worker.runDue();
      assert.equal(hook.requests.length, 1, "the resolve is held back while the trigger retries");
      hook.setStatus(undefined);
      await advanceToNextRetry(kit);
      assert.deepEqual(
        hook.requests.map((r) => (r.json as { event_action: string }).event_action),
        ["trigger", "trigger", "resolve"],
      );
      const keys = new Set(hook.requests.map((r) => (r.json as { dedup_key: string }).dedup_key));
      assert.deepEqual([...keys], [pagerDutyDedupKey('{}:{alertname="HighLatency"}')], "trigger and resolve share the dedup_key");
    } finally {
      await hook.close();
      await kit.close();
    }
  });

  it("drops resolves for channels with send_resolved off, and messages for deleted or disabled channels", async () => {
    const kit = await startKit();
    try {
      const [quiet, gone] = await kit.putChannels({
        channels: [
          { name: "quiet", type: "webhook", enabled: true, send_resolved: false, config: { url: receiver.url } },
          { name: "gone", type: "webhook", enabled: true, send_resolved: true, config: { url: receiver.url } },
        ],
      });
      const before = receiver.requests.length;
      await enqueueNotifications(kit.database.db, [item(kit, quiet!, { event: "resolve", notification: goldenNotification("resolved") }), item(kit, gone!)]);
      await kit.putChannels({ channels: [{ id: quiet, name: "quiet", type: "webhook", enabled: true, send_resolved: false, config: { url: receiver.url } }] });
      await kit.module.worker.runDue();
      assert.equal(receiver.requests.length, before);
      const rows = await deliveries(kit);
      assert.deepEqual(rows.map((d) => [d.status, d.last_error]).sort(), [
        ["dropped", "send_resolved is off for this channel"],
        ["dropped", "the channel no longer exists"],
      ]);
      assert.equal(await counterValue(kit.metrics, { outcome: "dropped" }), 2);
    } finally {
      await kit.close();
    }
  });

  it("ignores an item enqueued twice with the same idempotency key", async () => {
    const kit = await startKit();
    try {
      const [channelId] = await kit.putChannels({ channels: [{ name: "hook", type: "webhook", enabled: true, send_resolved: true, config: { url: receiver.url } }] });
      const once = item(kit, channelId!);
      await enqueueNotifications(kit.database.db, [once]);
      await enqueueNotifications(kit.database.db, [once]);
      assert.equal((await deliveries(kit)).length, 1);
    } finally {
      await kit.close();
    }
  });

  it("is woken by enqueue: a started worker sends without a poll", async () => {
    const kit = await startKit();
    const hook = await startFakeReceiver("msteams");
    try {
      const [channelId] = await kit.putChannels({ channels: [{ name: "teams", type: "msteams", enabled: true, send_resolved: true, config: {}, secrets: { webhook_url: hook.url } }] });
      kit.module.start();
      await kit.module.worker.idle();
      await kit.database.db.transaction().execute((trx) => enqueueNotifications(trx, [item(kit, channelId!)]));
      const [request] = await hook.waitForRequests(1);
      assert.equal((request!.json as { type: string }).type, "message");
      await kit.module.worker.idle();
    } finally {
      await hook.close();
      await kit.close();
    }
  });

  it("schedules its next pass for the next retry (capped by the poll interval) and does not spin on held-back rows", async () => {
    const scheduled: Array<{ ms: number; fire: () => void }> = [];
    const timers = { setTimeout: (fire: () => void, ms: number) => scheduled.push({ ms, fire }), clearTimeout: () => {} };
    const kit = await startKit({ timers, settings: { ...SETTINGS, pollIntervalMs: 60_000 } });
    const hook = await startFakeReceiver("webhook");
    try {
      hook.setStatus(500);
      const [channelId] = await kit.putChannels({ channels: [{ name: "hook", type: "webhook", enabled: true, send_resolved: true, config: { url: hook.url } }] });
      kit.module.start();
      await kit.module.worker.idle();
      assert.equal(scheduled.at(-1)!.ms, 60_000, "idle: the poll interval");
      await enqueueNotifications(kit.database.db, [item(kit, channelId!), item(kit, channelId!, { event: "resolve", notification: goldenNotification("resolved") })]);
      await hook.waitForRequests(1);
      await kit.module.worker.idle();
      // Backoff of attempt 1 with jitter 0.5: 10 s / 2 + 10 s / 4 = 7.5 s; the held-back resolve does not make it 0.
      assert.equal(scheduled.at(-1)!.ms, 7500);
      const passes = scheduled.length;
      hook.setStatus(undefined);
      kit.clock.advance(7.5);
      scheduled.at(-1)!.fire();
      await hook.waitForRequests(3);
      await kit.module.worker.idle();
      assert.deepEqual(hook.requests.map((r) => [r.status, (r.json as { status: string }).status]), [[500, "firing"], [200, "firing"], [200, "resolved"]]);
      assert.ok(scheduled.length <= passes + 2, "one pass, one new schedule");
    } finally {
      await hook.close();
      await kit.close();
    }
  });

  it("fails visibly when the channel's secrets cannot be opened (the key changed), and lists the channel without them", async () => {
    const first = await startKit();
    const [channelId] = await first.putChannels({ channels: [{ name: "slack", type: "slack", enabled: true, send_resolved: true, config: {}, secrets: { webhook_url: `${receiver.url}/x` } }] });
    await enqueueNotifications(first.database.db, [item(first, channelId!)]);
    await first.crash();
    const second = await first.restart({ secretsKey: "another-secrets-key-0123456789abcdefghij" });
    try {
      await second.module.worker.runDue();
      const [row] = await deliveries(second);
      assert.equal(row!.status, "pending");
      assert.match(row!.last_error ?? "", /^cannot load the channel: /);
      const [channel] = await second.module.listChannels(second.actor);
      assert.deepEqual([channel!.name, channel!.secrets_set], ["slack", []]);
    } finally {
      await second.close();
    }
  });

  it("delivers after a crash between the outbox write and the send, once", async () => {
    const first = await startKit();
    const hook = await startFakeReceiver("webhook");
    try {
      const [channelId] = await first.putChannels({ channels: [{ name: "hook", type: "webhook", enabled: true, send_resolved: true, config: { url: hook.url } }] });
      await enqueueNotifications(first.database.db, [item(first, channelId!)]);
      await first.crash();
      const second = await first.restart();
      try {
        await second.module.worker.runDue();
        await second.module.worker.runDue();
        assert.equal(hook.requests.length, 1);
        assert.equal((await deliveries(second))[0]!.status, "delivered");
      } finally {
        await second.close();
      }
    } finally {
      await hook.close();
    }
  });

  it("after a crash between sending and recording, re-sends once the lease expires, with the same idempotency key", async () => {
    const first = await startKit({
      afterSend: () => Promise.reject(new Error("simulated crash after the send")),
    });
    const hook = await startFakeReceiver("webhook");
    const pd = await startFakeReceiver("pagerduty");
    try {
      const [hookId, pdId] = await first.putChannels({
        channels: [
          { name: "hook", type: "webhook", enabled: true, send_resolved: true, config: { url: hook.url } },
          { name: "pd", type: "pagerduty", enabled: true, send_resolved: true, config: { url: pd.url }, secrets: { routing_key: "RK" } },
        ],
      });
      await enqueueNotifications(first.database.db, [item(first, hookId!), item(first, pdId!)]);
      await first.module.worker.runDue();
      assert.equal(hook.requests.length, 1);
      assert.equal(pd.requests.length, 1);
      assert.deepEqual((await deliveries(first)).map((d) => d.status), ["sending", "sending"]);
      await first.crash();

      const second = await first.restart({ afterSend: undefined });
      try {
        await second.module.worker.runDue();
        assert.equal(hook.requests.length, 1, "a row whose lease has not expired is left alone");
        second.clock.advance((SETTINGS_LEASE_MS + 1000) / 1000);
        await second.module.worker.runDue();
        assert.equal(hook.requests.length, 2, "at most one duplicate");
        assert.equal(pd.requests.length, 2);
        assert.equal(hook.requests[0]!.headers["x-auspex-idempotency-key"], hook.requests[1]!.headers["x-auspex-idempotency-key"], "the receiver can fold the duplicate");
        assert.equal((pd.requests[0]!.json as { dedup_key: string }).dedup_key, (pd.requests[1]!.json as { dedup_key: string }).dedup_key, "PagerDuty folds it by dedup_key");
        assert.deepEqual((await deliveries(second)).map((d) => d.status), ["delivered", "delivered"]);
        second.clock.advance(3600);
        await second.module.worker.runDue();
        assert.equal(hook.requests.length, 2);
      } finally {
        await second.close();
      }
    } finally {
      await hook.close();
      await pd.close();
    }
  });

  it("retries an email the SMTP server defers (4xx) and fails one it rejects (5xx)", async () => {
    const smtp = await startFakeSmtpServer();
    const kit = await startKit();
    try {
      const [channelId] = await kit.putChannels({
        channels: [{ name: "mail", type: "email", enabled: true, send_resolved: true, config: { to: ["ops@example.com"], smtp_host: "127.0.0.1", smtp_port: smtp.port, smtp_security: "none" } }],
      });
      smtp.setReject(451);
      await enqueueNotifications(kit.database.db, [item(kit, channelId!)]);
      await kit.module.worker.runDue();
      assert.deepEqual((await deliveries(kit)).map((d) => [d.status, d.last_status_code]), [["pending", 451]]);
      smtp.setReject(550);
      await advanceToNextRetry(kit);
      const [failed] = await deliveries(kit);
      assert.deepEqual([failed!.status, failed!.last_status_code], ["failed", 550]);
      assert.match(failed!.last_error ?? "", /^refused: /);
      assert.equal(smtp.messages.length, 0);
    } finally {
      await smtp.stop();
      await kit.close();
    }
  });

  it("retries an email while the SMTP server is down and delivers it once it is up", async () => {
    const port = await freePort();
    const smtp = await startFakeSmtpServer({ port, listen: false });
    const kit = await startKit();
    try {
      const [channelId] = await kit.putChannels({
        channels: [{ name: "mail", type: "email", enabled: true, send_resolved: true, config: { to: ["ops@example.com"], from: "Auspex <auspex@example.com>", smtp_host: "127.0.0.1", smtp_port: port, smtp_security: "none" } }],
      });
      await enqueueNotifications(kit.database.db, [item(kit, channelId!)]);
      await kit.module.worker.runDue();
      const [down] = await deliveries(kit);
      assert.equal(down!.status, "pending");
      assert.match(down!.last_error ?? "", /ECONNREFUSED/);
      await smtp.start();
      await advanceToNextRetry(kit);
      assert.equal((await deliveries(kit))[0]!.status, "delivered");
      assert.equal(smtp.messages.length, 1);
      const [mail] = smtp.messages;
      assert.equal(mail!.subject, "[FIRING:2] HighLatency (node page)");
      assert.deepEqual(mail!.to, ["ops@example.com"]);
      assert.match(mail!.text, /\[FIRING\] Latency high on a:9100/);
      assert.match(mail!.messageId, /^<[0-9a-f]{40}@auspex>$/);
    } finally {
      await smtp.stop();
      await kit.close();
    }
  });
});

/** The module's lease: timeout × 4 + 5 s (index.ts). */
const SETTINGS_LEASE_MS = 2000 * 4 + 5000;
