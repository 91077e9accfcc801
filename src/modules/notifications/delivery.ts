// Sending one queued delivery (the bodies of the notification jobs). Each run counts an attempt and
// keeps its error on the delivery row, so an operator sees why a delivery is failing while it is
// still being retried, and `failed` once the queue gives up. A delivery already sent, logged or
// cancelled is not sent again (a job re-run after a crash between sending and completing). Email
// and webhook both go out at least once: a receiver de-duplicates on the notification id.
import type { Mailer } from '../../adapters/notify/smtp.ts';
import { postSignedWebhook } from '../../adapters/notify/webhook.ts';
import type { Queryable } from '../../db/types.ts';
import type { JobPayload } from '../../jobs/queue.ts';
import { getUser } from '../accounts/service.ts';
import { decryptSecret } from '../secrets/service.ts';
import type { DeliveryStatus, NotificationChannel } from './kinds.ts';
import { webhookSecretContext, type DeliveryJob, type NotificationRow } from './service.ts';
import { renderEmail } from './templates.ts';

const ERROR_LENGTH_MAX = 500;

export interface DeliveryDeps {
  db: Queryable;
  mailer: Mailer;
  secretKey: Buffer;
  publicUrl: () => string;
  webhookAllowPrivate: boolean;
}

/** The notification a delivery sends, with the delivery's own id and channel. */
interface ClaimedDelivery extends Omit<NotificationRow, 'id' | 'read_at'> {
  id: string;
  channel: NotificationChannel;
  notification_id: string;
  user_id: string;
  data: JobPayload;
}

/** Counts the attempt on a pending delivery and loads what sending needs; null when there is nothing to send. */
async function startAttempt(db: Queryable, deliveryId: string): Promise<ClaimedDelivery | null> {
  const { rows } = await db.query<ClaimedDelivery>(
    `WITH d AS (UPDATE notification_deliveries SET attempts = attempts + 1, updated_at = now()
                 WHERE id = $1 AND status = 'pending' RETURNING id, channel, notification_id)
     SELECT d.id::text AS id, d.channel, d.notification_id, n.user_id, n.kind, n.line_id, n.order_id, n.days_before, n.percent,
            n.title, n.body, n.data, n.created_at
       FROM d JOIN notifications n ON n.id = d.notification_id`,
    [deliveryId],
  );
  return rows[0] ?? null;
}

async function finish(db: Queryable, deliveryId: string, status: DeliveryStatus, error: string | null = null): Promise<void> {
  await db.query(
    `UPDATE notification_deliveries SET status = $2, last_error = COALESCE($3, last_error), updated_at = now() WHERE id = $1 AND status = 'pending'`,
    [deliveryId, status, error?.slice(0, ERROR_LENGTH_MAX) ?? null],
  );
}

/** Runs `send`; on failure records the error on the row and rethrows (the queue retries). */
async function attempt(db: Queryable, deliveryId: string, send: () => Promise<DeliveryStatus>): Promise<void> {
  let status: DeliveryStatus;
  try {
    status = await send();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db.query('UPDATE notification_deliveries SET last_error = $2, updated_at = now() WHERE id = $1', [deliveryId, message.slice(0, ERROR_LENGTH_MAX)]);
    throw error;
  }
  await finish(db, deliveryId, status);
}

/** The portal page the email opens: the ticket answered, else the line, else the order, else the list. */
function linkOf(publicUrl: string, d: ClaimedDelivery): string {
  const ticketId = d.data.ticketId;
  if (d.kind === 'ticket_reply' && typeof ticketId === 'string') return `${publicUrl}/tickets/${encodeURIComponent(ticketId)}`;
  if (d.line_id) return `${publicUrl}/lines/${encodeURIComponent(d.line_id)}`;
  if (d.order_id) return `${publicUrl}/orders/${encodeURIComponent(d.order_id)}`;
  return `${publicUrl}/notifications`;
}

export async function deliverEmail(deps: DeliveryDeps, payload: DeliveryJob): Promise<void> {
  const deliveryId = payload.deliveryId;
  const d = await startAttempt(deps.db, deliveryId);
  if (!d) return;
  // Email as it is now: a subscriber who turned it off since the notification was raised gets none.
  const { rows } = await deps.db.query<{ email_enabled: boolean }>('SELECT email_enabled FROM notification_settings WHERE user_id = $1', [d.user_id]);
  if (rows[0]?.email_enabled === false) {
    await finish(deps.db, deliveryId, 'cancelled', 'email was turned off before delivery');
    return;
  }
  await attempt(deps.db, deliveryId, async () => {
    const user = await getUser(deps.db, d.user_id);
    const publicUrl = deps.publicUrl();
    const content = renderEmail({
      title: d.title, body: d.body, locale: user.locale, linkUrl: linkOf(publicUrl, d), settingsUrl: `${publicUrl}/settings/notifications`,
    });
    return deps.mailer.send({ to: user.email, ...content, logContext: { notificationId: d.notification_id, kind: d.kind, userId: d.user_id } });
  });
}

/** What a receiver gets: `{id, kind, createdAt, data}`, data carrying the notification's fields too. */
function webhookBody(d: ClaimedDelivery): string {
  const data = {
    ...d.data,
    ...(d.line_id !== null ? { lineId: d.line_id } : {}),
    ...(d.order_id !== null ? { orderId: d.order_id } : {}),
    ...(d.days_before !== null ? { daysBefore: d.days_before } : {}),
    ...(d.percent !== null ? { percent: d.percent } : {}),
    title: d.title,
    body: d.body,
  };
  return JSON.stringify({ id: d.notification_id, kind: d.kind, createdAt: d.created_at.toISOString(), data });
}

export async function deliverWebhook(deps: DeliveryDeps, payload: DeliveryJob): Promise<void> {
  const deliveryId = payload.deliveryId;
  const d = await startAttempt(deps.db, deliveryId);
  if (!d) return;
  // The webhook as it is now: one removed or turned off since the notification was raised is not called.
  const { rows } = await deps.db.query<{ webhook_url: string | null; webhook_secret_enc: string | null; webhook_enabled: boolean }>(
    'SELECT webhook_url, webhook_secret_enc, webhook_enabled FROM notification_settings WHERE user_id = $1',
    [d.user_id],
  );
  const settings = rows[0];
  if (!settings?.webhook_url || !settings.webhook_secret_enc || !settings.webhook_enabled) {
    await finish(deps.db, deliveryId, 'cancelled', 'the webhook was removed or disabled before delivery');
    return;
  }
  const url = settings.webhook_url;
  const secret = decryptSecret(deps.secretKey, settings.webhook_secret_enc, webhookSecretContext(d.user_id));
  await attempt(deps.db, deliveryId, async () => {
    await postSignedWebhook({ url, body: webhookBody(d), secret, timestampSeconds: Math.floor(Date.now() / 1000), allowPrivate: deps.webhookAllowPrivate });
    return 'sent';
  });
}

/** The queue gave up on the job: the delivery is failed, its last error kept for the operator. */
export async function markDeliveryFailed(db: Queryable, payload: DeliveryJob, error: string): Promise<void> {
  await finish(db, payload.deliveryId, 'failed', error);
}
