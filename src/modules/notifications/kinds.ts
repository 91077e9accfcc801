// Every kind of notification API.md names, once: the TypeScript type, the zod enum and the
// database CHECKs (0015_notifications.sql, compared by a test) all come from this list.
export const NOTIFICATION_KINDS = [
  'expiry_reminder', 'keepalive_reminder', 'renewal_upcoming', 'renewal_succeeded', 'renewal_failed',
  'low_balance', 'allowance_used', 'line_suspended', 'line_recycled', 'order_completed', 'order_failed',
  'refund_issued', 'ticket_reply',
] as const;

export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const NOTIFICATION_CHANNELS = ['email', 'webhook'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export const DELIVERY_STATUSES = ['pending', 'sent', 'logged', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
