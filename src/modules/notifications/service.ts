// Notifications: the one way simkeep tells a subscriber something. Owns `notifications` (the in-app
// copy of every message), `notification_settings` and `notification_deliveries`. Invariants: a
// notification exists at most once per dedupe key (UNIQUE; "each reminder once per line, period and
// threshold" is the caller's key); its email and webhook are outbox jobs written in the caller's
// transaction, one per notification and channel, so nothing is sent for a change that rolled back
// and nothing twice for one that did not; a muted kind is kept in-app but sent nowhere else; the
// webhook secret is stored only encrypted and shown once; a user sees only their own notifications.
import type { z } from 'zod';
import { clampPageLimit } from '../../db/keyset-page.ts';
import type { deliverySchema, notificationSchema, notificationSettingsPatch, notificationSettingsSchema } from './schemas.ts';
import { randomBytes } from 'node:crypto';
import { checkWebhookUrl, WebhookUrlNotAllowedError } from '../../adapters/notify/webhook.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { DomainError, notFound, validation } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { invariant } from '../../domain/invariant.ts';
import { enqueueMany, type JobPayload } from '../../jobs/queue.ts';
import { encryptSecret } from '../secrets/service.ts';
import { NOTIFICATION_KINDS, type DeliveryStatus, type NotificationChannel, type NotificationKind } from './kinds.ts';
import { renderNotification } from './templates.ts';

export { NOTIFICATION_KINDS, type NotificationKind } from './kinds.ts';

export const DEDUPE_KEY_LENGTH_MAX = 200;
/** Attempts per channel before a delivery is dead (the queue's backoff: 2, 4, 8, … seconds apart). */
export const EMAIL_ATTEMPTS_MAX = 8;
export const WEBHOOK_ATTEMPTS_MAX = 5;
export const EMAIL_QUEUE = 'notifications.email';
export const WEBHOOK_QUEUE = 'notifications.webhook';
/** What a delivery job carries: the delivery row to send (its notification and channel are on the row). */
export interface DeliveryJob { deliveryId: string }
declare module '../../jobs/queue.ts' {
  interface JobPayloads {
    'notifications.email': DeliveryJob;
    'notifications.webhook': DeliveryJob;
  }
}
/** Associated data of the encrypted webhook secret: a secret copied to another user's row fails to decrypt. */
export const webhookSecretContext = (userId: string): string => `notification-webhook:${userId}`;

export interface NotifyInput {
  /** Application-clock time (the sandbox clock in development and tests). */
  now: Date;
  userId: string;
  kind: NotificationKind;
  lineId?: string | null;
  orderId?: string | null;
  daysBefore?: number | null;
  percent?: number | null;
  /** What the templates and the webhook receiver read: msisdn, amount ({amount, currency}), dates (RFC 3339), … */
  data: JobPayload;
  /** The cause, once: e.g. `expiry_reminder:<lineId>:<expiresAt>:7`. A repeat changes nothing. */
  dedupeKey: string;
}

export interface NotifyResult {
  created: boolean;
  /** The new notification's id; null for a repeat. */
  id: string | null;
}

interface SettingsRow {
  email_enabled: boolean;
  webhook_url: string | null;
  webhook_secret_enc: string | null;
  webhook_enabled: boolean;
  muted: string[];
}

async function settingsRow(db: Queryable, userId: string): Promise<SettingsRow | null> {
  const { rows } = await db.query<SettingsRow>(
    'SELECT email_enabled, webhook_url, webhook_secret_enc, webhook_enabled, muted FROM notification_settings WHERE user_id = $1',
    [userId],
  );
  return rows[0] ?? null;
}

/**
 * Raises a notification inside the caller's transaction. Idempotent by `dedupeKey` (INSERT … ON
 * CONFLICT DO NOTHING): a repeat returns {created: false} and enqueues nothing. The title and body
 * are rendered now, in the user's language; email and webhook are queued unless the kind is muted.
 */
export async function notify(tx: Queryable, input: NotifyInput): Promise<NotifyResult> {
  const [result] = await notifyMany(tx, [input]);
  invariant(result, 'one notification raised');
  return result;
}

/**
 * Raises many notifications in the caller's transaction in a fixed number of statements, however
 * many there are (usage: every bucket of a batch that crossed an allowance threshold), each: idempotent by dedupe key (a key repeated in `inputs` counts once, the first),
 * rendered in its user's language, email and webhook queued unless the kind is muted. Results in
 * input order.
 */
export async function notifyMany(tx: Queryable, inputs: readonly NotifyInput[]): Promise<NotifyResult[]> {
  for (const input of inputs) {
    if (input.dedupeKey.length === 0 || input.dedupeKey.length > DEDUPE_KEY_LENGTH_MAX) {
      throw validation('validation', `a notification's dedupe key must be 1..${DEDUPE_KEY_LENGTH_MAX} characters`);
    }
  }
  const byKey = new Map<string, { input: NotifyInput; id: string }>();
  for (const input of inputs) if (!byKey.has(input.dedupeKey)) byKey.set(input.dedupeKey, { input, id: newId('ntf') });
  if (byKey.size === 0) return [];
  const fresh = [...byKey.values()];
  const userIds = [...new Set(fresh.map((f) => f.input.userId))];
  const locales = new Map((await tx.query<{ id: string; locale: string }>('SELECT id, locale FROM users WHERE id = ANY($1::text[])', [userIds])).rows
    .map((r) => [r.id, r.locale]));
  const rendered = fresh.map(({ input }) => {
    const locale = locales.get(input.userId);
    if (locale === undefined) throw notFound('not_found', 'user not found');
    return renderNotification(input.kind, locale, { data: input.data, daysBefore: input.daysBefore ?? null, percent: input.percent ?? null });
  });
  const { rows: created } = await tx.query<{ id: string }>(
    `INSERT INTO notifications (id, user_id, kind, line_id, order_id, days_before, percent, title, body, data, dedupe_key, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::integer[], $8::text[], $9::text[],
                          $10::jsonb[], $11::text[], $12::timestamptz[])
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [fresh.map((f) => f.id), fresh.map((f) => f.input.userId), fresh.map((f) => f.input.kind), fresh.map((f) => f.input.lineId ?? null),
      fresh.map((f) => f.input.orderId ?? null), fresh.map((f) => f.input.daysBefore ?? null), fresh.map((f) => f.input.percent ?? null),
      rendered.map((r) => r.title), rendered.map((r) => r.body), fresh.map((f) => JSON.stringify(f.input.data)), fresh.map((f) => f.input.dedupeKey),
      fresh.map((f) => f.input.now)],
  );
  const createdIds = new Set(created.map((r) => r.id));
  if (createdIds.size > 0) await queueDeliveries(tx, fresh.filter((f) => createdIds.has(f.id)));
  return inputs.map((input) => {
    const f = byKey.get(input.dedupeKey);
    return f && createdIds.has(f.id) && f.input === input ? { created: true, id: f.id } : { created: false, id: null };
  });
}

/** The email and webhook deliveries of new notifications and their jobs: three statements in all. */
async function queueDeliveries(tx: Queryable, created: ReadonlyArray<{ input: NotifyInput; id: string }>): Promise<void> {
  const { rows: settings } = await tx.query<SettingsRow & { user_id: string }>(
    'SELECT user_id, email_enabled, webhook_url, webhook_secret_enc, webhook_enabled, muted FROM notification_settings WHERE user_id = ANY($1::text[])',
    [[...new Set(created.map((c) => c.input.userId))]],
  );
  const settingsOf = new Map(settings.map((s) => [s.user_id, s]));
  const wanted: Array<{ notificationId: string; channel: NotificationChannel; now: Date }> = [];
  for (const { input, id } of created) {
    const s = settingsOf.get(input.userId);
    if (s?.muted.includes(input.kind)) continue;
    if (s?.email_enabled ?? true) wanted.push({ notificationId: id, channel: 'email', now: input.now });
    if (s?.webhook_url && s.webhook_enabled) wanted.push({ notificationId: id, channel: 'webhook', now: input.now });
  }
  if (wanted.length === 0) return;
  const { rows } = await tx.query<{ id: string; notification_id: string; channel: NotificationChannel }>(
    `INSERT INTO notification_deliveries (notification_id, channel) SELECT * FROM unnest($1::text[], $2::text[])
     RETURNING id::text AS id, notification_id, channel`,
    [wanted.map((w) => w.notificationId), wanted.map((w) => w.channel)],
  );
  const request = new Map(wanted.map((w) => [`${w.notificationId} ${w.channel}`, w]));
  await enqueueMany(tx, rows.map((r) => {
    const w = request.get(`${r.notification_id} ${r.channel}`);
    invariant(w, 'every delivery row was asked for');
    return {
      queue: w.channel === 'email' ? EMAIL_QUEUE : WEBHOOK_QUEUE, payload: { deliveryId: r.id } satisfies DeliveryJob, runAt: w.now,
      dedupeKey: `notification:${w.notificationId}:${w.channel}`, maxAttempts: w.channel === 'email' ? EMAIL_ATTEMPTS_MAX : WEBHOOK_ATTEMPTS_MAX,
    };
  }));
}

// ---------------------------------------------------------------------------------------------
// The in-app list

/** One notification as the API answers it (schemas.ts). */
export type NotificationView = z.infer<typeof notificationSchema>;

export interface NotificationRow {
  id: string;
  kind: NotificationKind;
  line_id: string | null;
  order_id: string | null;
  days_before: number | null;
  percent: number | null;
  title: string;
  body: string;
  created_at: Date;
  read_at: Date | null;
}

/** A row of the in-app list, with ticket_reply's ticket read from the notification's data. */
interface ListedNotificationRow extends NotificationRow {
  ticket_id: string | null;
}

function toView(r: ListedNotificationRow): NotificationView {
  return {
    id: r.id,
    kind: r.kind,
    ...(r.line_id !== null ? { lineId: r.line_id } : {}),
    ...(r.order_id !== null ? { orderId: r.order_id } : {}),
    ...(r.ticket_id !== null ? { ticketId: r.ticket_id } : {}),
    ...(r.days_before !== null ? { daysBefore: r.days_before } : {}),
    ...(r.percent !== null ? { percent: r.percent } : {}),
    title: r.title,
    body: r.body,
    createdAt: r.created_at.toISOString(),
    readAt: r.read_at?.toISOString() ?? null,
  };
}

/** Newest first, keyset-paged on (created_at, id); the cursor is the last item's id. */
export async function listNotifications(
  db: Queryable, userId: string, page: { lineId?: string; limit: number; cursor?: string },
): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
  const limit = clampPageLimit(page.limit);
  const { rows } = await db.query<ListedNotificationRow>(
    `SELECT id, kind, line_id, order_id, data->>'ticketId' AS ticket_id, days_before, percent, title, body, created_at, read_at FROM notifications n
      WHERE user_id = $1 AND ($2::text IS NULL OR line_id = $2)
        AND ($3::text IS NULL OR (created_at, id) < (SELECT c.created_at, c.id FROM notifications c WHERE c.id = $3 AND c.user_id = $1))
      ORDER BY created_at DESC, id DESC LIMIT $4`,
    [userId, page.lineId ?? null, page.cursor ?? null, limit + 1],
  );
  const items = rows.slice(0, limit).map(toView);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}

/** Marks the user's notification read (the first time counts); another user's id is not found. */
export async function markRead(db: Queryable, userId: string, id: string, now: Date): Promise<void> {
  const { rowCount } = await db.query('UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND user_id = $2', [id, userId, now]);
  if (rowCount === 0) throw notFound('notification_not_found', 'no such notification');
}

// ---------------------------------------------------------------------------------------------
// Settings

export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;
/** `webhook: null` removes the webhook; a new URL gets a new secret (answered once). */
export type SettingsPatch = z.infer<typeof notificationSettingsPatch>;

function settingsOf(row: SettingsRow | null): NotificationSettings {
  return {
    email: row?.email_enabled ?? true,
    webhook: row?.webhook_url ? { url: row.webhook_url, enabled: row.webhook_enabled } : null,
    // In the order of NOTIFICATION_KINDS: the answer does not depend on how the list was sent.
    muted: NOTIFICATION_KINDS.filter((k) => row?.muted.includes(k)),
  };
}

export async function getSettings(db: Queryable, userId: string): Promise<NotificationSettings> {
  return settingsOf(await settingsRow(db, userId));
}

/**
 * Changes what the patch names. A webhook URL is checked (syntax and, unless `allowPrivate`, that
 * it resolves to public addresses only) before anything is written; setting a URL other than the
 * current one makes a new secret, returned here and never again.
 */
export async function updateSettings(
  db: Db, secretKey: Buffer, userId: string, patch: SettingsPatch, allowPrivate: boolean,
): Promise<NotificationSettings & { webhook: ({ url: string; enabled: boolean; secret?: string }) | null }> {
  const newUrl = patch.webhook?.url;
  if (newUrl !== undefined) {
    try {
      await checkWebhookUrl(newUrl, allowPrivate);
    } catch (error) {
      if (error instanceof WebhookUrlNotAllowedError) {
        throw new DomainError('validation', 'webhook_url_not_allowed', error.message, { errors: [{ path: 'webhook.url', message: error.message }] });
      }
      throw error;
    }
  }
  return db.transaction(async (tx) => {
    await tx.query('INSERT INTO notification_settings (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [userId]);
    const { rows } = await tx.query<SettingsRow>(
      'SELECT email_enabled, webhook_url, webhook_secret_enc, webhook_enabled, muted FROM notification_settings WHERE user_id = $1 FOR UPDATE',
      [userId],
    );
    const current = rows[0];
    if (!current) throw notFound('not_found', 'user not found');
    const next = { ...current };
    let shownSecret: string | undefined;
    if (patch.email !== undefined) next.email_enabled = patch.email;
    if (patch.muted !== undefined) next.muted = [...new Set(patch.muted)];
    if (patch.webhook === null) Object.assign(next, { webhook_url: null, webhook_secret_enc: null, webhook_enabled: false });
    else if (patch.webhook !== undefined) {
      if (newUrl === undefined && current.webhook_url === null) {
        throw validation('validation', 'set webhook.url before enabling or disabling the webhook', [{ path: 'webhook.url', message: 'required' }]);
      }
      if (newUrl !== undefined && newUrl !== current.webhook_url) {
        shownSecret = `whsec_${randomBytes(32).toString('base64url')}`;
        next.webhook_url = newUrl;
        next.webhook_secret_enc = encryptSecret(secretKey, shownSecret, webhookSecretContext(userId));
      }
      next.webhook_enabled = patch.webhook.enabled ?? (shownSecret !== undefined ? true : current.webhook_enabled);
    }
    await tx.query(
      `UPDATE notification_settings SET email_enabled = $2, webhook_url = $3, webhook_secret_enc = $4, webhook_enabled = $5, muted = $6, updated_at = now()
        WHERE user_id = $1`,
      [userId, next.email_enabled, next.webhook_url, next.webhook_secret_enc, next.webhook_enabled, next.muted],
    );
    const settings = settingsOf(next);
    return { ...settings, webhook: settings.webhook && shownSecret ? { ...settings.webhook, secret: shownSecret } : settings.webhook };
  });
}

// ---------------------------------------------------------------------------------------------
// Deliveries, for operators

export type DeliveryView = z.infer<typeof deliverySchema>;

/** Newest first; the cursor is the last delivery's id. */
export async function listDeliveries(
  db: Queryable, filter: { status?: DeliveryStatus; limit: number; cursor?: string },
): Promise<{ items: DeliveryView[]; nextCursor: string | null }> {
  const limit = clampPageLimit(filter.limit);
  const { rows } = await db.query<{
    id: string; notification_id: string; user_id: string; kind: NotificationKind; channel: NotificationChannel; status: DeliveryStatus;
    attempts: number; last_error: string | null; created_at: Date; updated_at: Date;
  }>(
    `SELECT d.id::text AS id, d.notification_id, n.user_id, n.kind, d.channel, d.status, d.attempts, d.last_error, d.created_at, d.updated_at
       FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id
      WHERE ($1::text IS NULL OR d.status = $1) AND ($2::bigint IS NULL OR d.id < $2)
      ORDER BY d.id DESC LIMIT $3`,
    [filter.status ?? null, filter.cursor ?? null, limit + 1],
  );
  const items = rows.slice(0, limit).map((r) => ({
    id: r.id, notificationId: r.notification_id, userId: r.user_id, kind: r.kind, channel: r.channel, status: r.status,
    attempts: r.attempts, lastError: r.last_error, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  }));
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}
