import { newId } from "#server/platform/ids.ts";
import type { Db } from "#server/storage/database.ts";
import type { OutboxItem } from "#server/modules/notifications/notification.types.ts";
import { insertOutboxRows, type OutboxRow } from "#server/modules/notifications/outbox.repository.ts";

const DUE_AT_ONCE = new Date(0).toISOString();

type Listener = () => void;
const listeners = new Set<Listener>();

/** In-process signal: delivery workers in this process subscribe to hear about new outbox rows. */
export function onOutboxWritten(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Wakes the workers on the next turn of the event loop, by when the caller's transaction has usually committed. */
export function signalOutbox(): void {
  setImmediate(() => {
    for (const listener of listeners) listener();
  });
}

/**
 * Writes notifications to the durable outbox: inserts only, no network. Pass the transaction of
 * the state change that causes them (db.transaction().execute(trx => enqueueNotifications(trx, …)))
 * so both commit or neither does. An item whose (userId, channelId, idempotencyKey) is already
 * in the outbox is ignored. The delivery worker is woken; it also polls, so a signal lost before
 * commit only delays delivery by one poll interval.
 */
export async function enqueueNotifications(db: Db, items: readonly OutboxItem[], now: Date = new Date()): Promise<void> {
  if (items.length === 0) return;
  const at = now.toISOString();
  const rows: OutboxRow[] = items.map((item) => ({
    // Real time, not `now`: ids order a group's messages, whatever clock the caller passes.
    id: newId(),
    user_id: item.userId,
    channel_id: item.channelId,
    idempotency_key: item.idempotencyKey,
    event: item.event,
    group_key: item.notification.groupKey,
    notification: JSON.stringify(item.notification),
    status: "pending",
    attempts: 0,
    // Due at once whatever the worker's clock says (tests run workers on a manual clock).
    next_attempt_at: DUE_AT_ONCE,
    lease_until: null,
    claim_token: null,
    give_up_at: null,
    last_error: null,
    last_status_code: null,
    delivered_at: null,
    created_at: at,
    updated_at: at,
  }));
  await insertOutboxRows(db, rows);
  signalOutbox();
}
