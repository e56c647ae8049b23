import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { InjectOptions } from "fastify";
import type { Channel, ChannelList, DeliveryList, TestNotificationResult } from "@auspex/shared/contracts/notifications.ts";
import { enqueueNotifications } from "#server/modules/notifications/index.ts";
import { startTestApp, type TestApp } from "#test/harness.ts";
import { assertError } from "#test/support/assert-error.ts";
import { startFakeReceiver, startFakeSmtpServer, type FakeHttpReceiver, type FakeSmtpServer } from "#test/support/fake-receivers.ts";
import { goldenNotification } from "#test/modules/notifications/goldens.ts";

/* Notification channels over HTTP: write-only secrets, the outbound policy, test sends, history, scopes. */

describe("notification routes", () => {
  let t: TestApp;
  let token: string;
  let slack: FakeHttpReceiver;
  let smtp: FakeSmtpServer;
  const SLACK_TOKEN = "T000/B000/secret-slack-token";
  const inject = (options: InjectOptions) => t.auspex.app.inject(options);
  const put = (payload: unknown, as = token) =>
    inject({ method: "PUT", url: "/api/v1/notifications/channels", headers: t.bearer(as), payload: payload as Record<string, unknown> });
  const list = async (as = token): Promise<Channel[]> => {
    const response = await inject({ method: "GET", url: "/api/v1/notifications/channels", headers: t.bearer(as) });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<ChannelList>().channels;
  };

  before(async () => {
    t = await startTestApp({ AUSPEX_OUTBOUND_DENY: "10.99.0.0/16" });
    token = (await t.register("notify_owner")).access_token;
    slack = await startFakeReceiver("slack");
    smtp = await startFakeSmtpServer();
  });
  after(async () => {
    await t.close();
    await slack.close();
    await smtp.stop();
  });

  it("starts empty, stores channels and never returns a secret", async () => {
    assert.deepEqual(await list(), []);
    const response = await put({
      channels: [
        { name: "ops-slack", type: "slack", secrets: { webhook_url: `${slack.url}/services/${SLACK_TOKEN}` } },
        { name: "hook", type: "webhook", send_resolved: false, config: { url: "http://127.0.0.1:9/alerts" }, secrets: { bearer_token: "s3cret-bearer" } },
        { name: "mail", type: "email", config: { to: ["ops@example.com"], smtp_host: "127.0.0.1", smtp_port: smtp.port, smtp_security: "none", smtp_username: "auspex" }, secrets: { smtp_password: "mail-pw" } },
      ],
    });
    assert.equal(response.statusCode, 200, response.body);
    for (const secret of [SLACK_TOKEN, "s3cret-bearer", "mail-pw"]) assert.ok(!response.body.includes(secret), `${secret} is not in the response`);
    const channels = await list();
    assert.deepEqual(
      channels.map((c) => [c.name, c.type, c.enabled, c.send_resolved, c.secrets_set, c.endpoint]),
      [
        ["hook", "webhook", true, false, ["bearer_token"], "http://127.0.0.1:9"],
        ["mail", "email", true, true, ["smtp_password"], `smtp://127.0.0.1:${smtp.port}`],
        ["ops-slack", "slack", true, true, ["webhook_url"], slack.url],
      ],
    );
  });

  it("keeps secrets that are left out, clears those set to null, and requires the ones a type needs", async () => {
    const before = await list();
    const slackChannel = before.find((c) => c.name === "ops-slack")!;
    const hook = before.find((c) => c.name === "hook")!;
    const response = await put({
      channels: [
        { id: slackChannel.id, name: "ops-slack", type: "slack" },
        { id: hook.id, name: "hook", type: "webhook", config: { url: "http://127.0.0.1:9/alerts" }, secrets: { bearer_token: null } },
        { name: "mail", type: "email", config: { to: ["ops@example.com"], smtp_host: "127.0.0.1", smtp_port: smtp.port, smtp_security: "none" } },
      ],
    });
    assert.equal(response.statusCode, 200, response.body);
    const after = response.json<ChannelList>().channels;
    assert.deepEqual(after.find((c) => c.name === "ops-slack")!.secrets_set, ["webhook_url"]);
    assert.equal(after.find((c) => c.name === "ops-slack")!.id, slackChannel.id, "the id is kept");
    assert.deepEqual(after.find((c) => c.name === "hook")!.secrets_set, []);
    assertError(await put({ channels: [{ name: "pd", type: "pagerduty" }] }), 400, "validation_error", "body.channels.0.secrets.routing_key");
    assertError(await put({ channels: [{ id: slackChannel.id, name: "ops-slack", type: "slack", secrets: { webhook_url: null } }] }), 400, "validation_error", "body.channels.0.secrets.webhook_url");
    assertError(await put({ channels: [{ id: "not-mine", name: "x", type: "webhook", config: { url: "http://127.0.0.1:9/" } }] }), 400, "validation_error", "body.channels.0.id");
    assertError(
      await put({ channels: [{ name: "same", type: "webhook", config: { url: "http://127.0.0.1:9/" } }, { name: "same", type: "webhook", config: { url: "http://127.0.0.1:9/" } }] }),
      400,
      "validation_error",
      "body.channels.1.name",
    );
    assert.equal((await list()).length, 3, "a refused PUT changes nothing");
  });

  it("refuses malformed URLs and addresses the outbound policy denies, naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ channels: [{ name: "w", type: "webhook", config: { url: "not a url" } }] }, "body.channels.0.config.url"],
      [{ channels: [{ name: "w", type: "webhook", config: { url: "ftp://example.com/x" } }] }, "body.channels.0.config.url"],
      [{ channels: [{ name: "w", type: "webhook", config: { url: "http://user:pw@127.0.0.1/x" } }] }, "body.channels.0.config.url"],
      [{ channels: [{ name: "m", type: "email", config: { to: ["not-an-address"] } }] }, "body.channels.0.config.to.0"],
    ];
    for (const [payload, field] of cases) assertError(await put(payload), 400, "validation_error", field);
    const metadata = assertError(await put({ channels: [{ name: "s", type: "slack", secrets: { webhook_url: "http://169.254.169.254/latest/meta-data" } }] }), 400, "validation_error", "body.channels.0.secrets.webhook_url");
    assert.match(metadata.error.message, /169\.254\.169\.254 is refused by the default deny list/);
    assertError(await put({ channels: [{ name: "w", type: "webhook", config: { url: "http://10.99.1.2:8080/hook" } }] }), 400, "validation_error", "body.channels.0.config.url");
    assertError(await put({ channels: [{ name: "p", type: "pagerduty", config: { url: "http://[::ffff:169.254.169.254]/x" }, secrets: { routing_key: "k" } }] }), 400, "validation_error", "body.channels.0.config.url");
    assertError(await put({ channels: [{ name: "m", type: "email", config: { to: ["a@example.com"], smtp_host: "169.254.1.1" } }] }), 400, "validation_error", "body.channels.0.config.smtp_host");
  });

  it("sends a test message and reports the remote's answer", async () => {
    const channels = await list();
    const test = (channelId: string) => inject({ method: "POST", url: "/api/v1/notifications/test", headers: t.bearer(token), payload: { channel_id: channelId } });
    const slackChannel = channels.find((c) => c.name === "ops-slack")!;
    const ok = await test(slackChannel.id);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual({ ...ok.json<TestNotificationResult>(), duration_ms: 0 }, { channel_id: slackChannel.id, ok: true, status_code: 200, body_excerpt: "ok", error: null, duration_ms: 0 });
    const [request] = await slack.waitForRequests(1);
    assert.equal(request!.path, `/services/${SLACK_TOKEN}`);
    assert.match((request!.json as { text: string }).text, /^\[TEST\] \[FIRING:1\] AuspexTestNotification/);

    slack.setStatus(404, { body: "no_service" });
    const refused = (await test(slackChannel.id)).json<TestNotificationResult>();
    assert.deepEqual([refused.ok, refused.status_code, refused.body_excerpt, refused.error], [false, 404, "no_service", "receiver answered HTTP 404"]);
    slack.setStatus(undefined);

    const hook = channels.find((c) => c.name === "hook")!;
    const down = (await test(hook.id)).json<TestNotificationResult>();
    assert.equal(down.ok, false);
    assert.equal(down.status_code, null);
    assert.match(down.error ?? "", /ECONNREFUSED/);

    const mail = (await test(channels.find((c) => c.name === "mail")!.id)).json<TestNotificationResult>();
    assert.equal(mail.ok, true, JSON.stringify(mail));
    assert.equal(mail.status_code, 250);
    const [message] = await smtp.waitForMessages(1);
    assert.match(message!.subject, /^\[TEST\] \[FIRING:1\]/);

    const pd = await startFakeReceiver("pagerduty");
    try {
      const withPd = await put({ channels: [...channels.map((c) => ({ id: c.id, name: c.name, type: c.type, config: c.config })), { name: "pd", type: "pagerduty", config: { url: `${pd.url}/v2/enqueue` }, secrets: { routing_key: "RK" } }] });
      assert.equal(withPd.statusCode, 200, withPd.body);
      const pdChannel = withPd.json<ChannelList>().channels.find((c) => c.name === "pd")!;
      const answer = (await test(pdChannel.id)).json<TestNotificationResult>();
      assert.deepEqual([answer.ok, answer.status_code], [true, 202]);
      assert.match(answer.body_excerpt ?? "", /"status":"success"/);
      const sent = await pd.waitForRequests(2);
      assert.deepEqual(sent.map((r) => (r.json as { event_action: string }).event_action), ["trigger", "resolve"], "the test incident is resolved again");
      assert.equal((sent[0]!.json as { dedup_key: string }).dedup_key, (sent[1]!.json as { dedup_key: string }).dedup_key);
      assert.equal((sent[0]!.json as { routing_key: string }).routing_key, "RK");
    } finally {
      await pd.close();
    }

    assertError(await test("no-such-channel"), 404, "not_found");
  });

  it("lists delivery history for the user only", async () => {
    const slackChannel = (await list()).find((c) => c.name === "ops-slack")!;
    const me = (await inject({ method: "GET", url: "/api/v1/auth/me", headers: t.bearer(token) })).json<{ id: string }>();
    await enqueueNotifications(t.auspex.database.db, [{ userId: me.id, channelId: slackChannel.id, notification: goldenNotification("firing"), idempotencyKey: "history-1", event: "trigger" }]);
    await t.auspex.notifications.worker.runDue();
    const history = await inject({ method: "GET", url: "/api/v1/notifications/deliveries", headers: t.bearer(token) });
    assert.equal(history.statusCode, 200, history.body);
    const [delivery] = history.json<DeliveryList>().deliveries;
    assert.equal(delivery!.status, "delivered");
    assert.equal(delivery!.attempts, 1);
    assert.equal(delivery!.last_status_code, 200);
    const other = (await t.register("notify_other")).access_token;
    const theirs = await inject({ method: "GET", url: "/api/v1/notifications/deliveries", headers: t.bearer(other) });
    assert.deepEqual(theirs.json<DeliveryList>().deliveries, []);
    assert.deepEqual(await list(other), []);
    assertError(await inject({ method: "POST", url: "/api/v1/notifications/test", headers: t.bearer(other), payload: { channel_id: slackChannel.id } }), 404, "not_found");
  });

  it("needs the read scope to list and admin to change or test", async () => {
    const readKey = await t.apiKey(token, ["read"]);
    const adminKey = await t.apiKey(token, ["admin"]);
    assert.equal((await inject({ method: "GET", url: "/api/v1/notifications/channels", headers: t.bearer(readKey) })).statusCode, 200);
    assertError(await put({ channels: [] }, readKey), 403, "forbidden");
    assertError(await inject({ method: "POST", url: "/api/v1/notifications/test", headers: t.bearer(readKey), payload: { channel_id: "x" } }), 403, "forbidden");
    const ingestKey = await t.apiKey(token, ["ingest"]);
    assertError(await inject({ method: "GET", url: "/api/v1/notifications/channels", headers: t.bearer(ingestKey) }), 403, "forbidden");
    assert.equal((await put({ channels: [] }, adminKey)).statusCode, 200);
    assert.deepEqual(await list(), []);
  });
});
