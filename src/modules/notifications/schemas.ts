import { z } from 'zod';
import { WEBHOOK_URL_LENGTH_MAX } from '../../adapters/notify/webhook.ts';
import { DELIVERY_STATUSES, NOTIFICATION_CHANNELS, NOTIFICATION_KINDS } from './kinds.ts';
import { pageLimitParam } from '../../db/keyset-page.ts';

export const notificationKindSchema = z.enum(NOTIFICATION_KINDS);

const limit = pageLimitParam();

export const notificationsQuery = z.object({
  lineId: z.string().min(1).max(100).optional(),
  limit,
  cursor: z.string().regex(/^ntf_[A-Za-z0-9]{1,64}$/, 'must be a nextCursor from a previous page').optional(),
});

export const notificationIdParams = z.object({ id: z.string().min(1).max(100) });

export const notificationSchema = z.object({
  id: z.string(),
  kind: notificationKindSchema,
  lineId: z.string().optional(),
  orderId: z.string().optional(),
  ticketId: z.string().optional().describe('ticket_reply: the ticket answered (the portal page /tickets/{ticketId})'),
  daysBefore: z.number().int().optional().describe('expiry_reminder: 7, 3 or 1'),
  percent: z.number().int().optional().describe('allowance_used: 75 or 90'),
  title: z.string(),
  body: z.string(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});

export const notificationListSchema = z.object({ items: z.array(notificationSchema), nextCursor: z.string().nullable() });

const webhookSchema = z.object({ url: z.string(), enabled: z.boolean() });

export const notificationSettingsSchema = z.object({
  email: z.boolean(),
  webhook: webhookSchema.nullable(),
  muted: z.array(notificationKindSchema),
});

export const updatedNotificationSettingsSchema = notificationSettingsSchema.extend({
  webhook: webhookSchema
    .extend({ secret: z.string().optional().describe('the signing secret: only in the answer that set a new URL, never again') })
    .nullable(),
});

export const notificationSettingsPatch = z.object({
  email: z.boolean().optional(),
  webhook: z
    .object({ url: z.string().max(WEBHOOK_URL_LENGTH_MAX).optional(), enabled: z.boolean().optional() })
    .nullable()
    .optional()
    .describe('null removes the webhook; a new url gets a new secret'),
  muted: z.array(notificationKindSchema).max(NOTIFICATION_KINDS.length).optional(),
});

export const deliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  limit,
  cursor: z.string().regex(/^\d{1,18}$/, 'must be a nextCursor from a previous page').optional(),
});

export const deliverySchema = z.object({
  id: z.string(),
  notificationId: z.string(),
  userId: z.string(),
  kind: notificationKindSchema,
  channel: z.enum(NOTIFICATION_CHANNELS),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const deliveryListSchema = z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() });

/** 204: no body. */
export const noContent = z.null().describe('No Content');
