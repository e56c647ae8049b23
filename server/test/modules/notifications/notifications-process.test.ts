import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { ChannelList } from "@auspex/shared/contracts/notifications.ts";
import { enqueueNotifications } from "#server/modules/notifications/index.ts";
import { openDatabase } from "#server/storage/database.ts";
import { TEST_PASSWORD } from "#test/harness.ts";
import { goldenNotification } from "#test/modules/notifications/goldens.ts";
import { spawnServer } from "#test/process/server-process.ts";
import { startFakeReceiver } from "#test/support/fake-receivers.ts";

/*
 * The real process killed with SIGKILL while a notification is on the wire (sent, not recorded):
 * after a restart it is sent again once its lease has expired — one duplicate at most, carrying
 * the same idempotency key — and then recorded as delivered. Takes the lease time (4 × 1 s + 5 s).
 */

const ENV = {
  AUSPEX_NOTIFY_TIMEOUT: "1",
  AUSPEX_NOTIFY_POLL_INTERVAL: "1",
  AUSPEX_SCRAPE: "false",
  AUSPEX_DETECTION: "false",
  AUSPEX_BATCH_ANALYSIS: "false",
};

describe("notification delivery across SIGKILL", () => {
  it("re-sends a message whose sender was killed mid-request after the lease, then records it once", { timeout: 60_000 }, async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "auspex-notify-proc-"));
    const hook = await startFakeReceiver("webhook");
    try {
      hook.hold(true);
      const first = await spawnServer(ENV, { dataDir });
      await first.waitForLog((line) => typeof line.message === "string" && line.message.startsWith("Auspex listening"));
      const register = await fetch(`${first.baseUrl}/api/v1/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "notified", email: "notified@example.com", password: TEST_PASSWORD }),
      });
      const { access_token: token, user } = (await register.json()) as { access_token: string; user: { id: string } };
      const put = await fetch(`${first.baseUrl}/api/v1/notifications/channels`, {
        method: "PUT",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ channels: [{ name: "hook", type: "webhook", config: { url: `${hook.url}/alerts` } }] }),
      });
      assert.equal(put.status, 200);
      const [channel] = ((await put.json()) as ChannelList).channels;

      // The state change and its notification, committed together into the server's database.
      const outside = await openDatabase({ kind: "sqlite", path: path.join(dataDir, "auspex.db") }, { busyTimeoutMs: 5000 });
      await outside.db.transaction().execute((trx) =>
        enqueueNotifications(trx, [{ userId: user.id, channelId: channel!.id, notification: goldenNotification("firing"), idempotencyKey: "alert-1", event: "trigger" }]),
      );
      await outside.close();

      await hook.waitForRequests(1);
      await first.stop(); // SIGKILL: sent, never recorded
      hook.hold(false);

      const second = await spawnServer(ENV, { dataDir });
      const [a, b] = await hook.waitForRequests(2);
      assert.equal(a!.headers["x-auspex-idempotency-key"], "alert-1");
      assert.equal(b!.headers["x-auspex-idempotency-key"], "alert-1", "the duplicate carries the same key");
      second.child.kill("SIGTERM"); // graceful: the worker records before the process exits
      assert.equal(await second.exited, 0);

      const after = await openDatabase({ kind: "sqlite", path: path.join(dataDir, "auspex.db") }, { busyTimeoutMs: 5000 });
      try {
        const rows = await after.db.selectFrom("notification_outbox").selectAll().execute();
        assert.deepEqual(rows.map((r) => [r.status, r.attempts]), [["delivered", 2]]);
        const attempts = await after.db.selectFrom("notification_attempts").selectAll().execute();
        assert.deepEqual(attempts.map((r) => [r.attempt, r.outcome, r.status_code]), [[2, "success", 200]]);
      } finally {
        await after.close();
      }
      assert.equal(hook.requests.length, 2, "one duplicate at most");
    } finally {
      await hook.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
