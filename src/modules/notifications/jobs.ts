// The notification outbox's consumers: one queue per channel. Email goes through the SMTP adapter
// (or the log without SMTP_URL), webhooks through the signed-webhook adapter; a failing delivery
// is retried with the queue's backoff and, once its attempts are spent, marked failed for operators.
import { createMailer } from '../../adapters/notify/smtp.ts';
import type { AppDeps } from '../../app-deps.ts';
import { deliverEmail, deliverWebhook, markDeliveryFailed, type DeliveryDeps } from './delivery.ts';
import { EMAIL_QUEUE, WEBHOOK_QUEUE } from './service.ts';

export function notificationsJobs(deps: AppDeps): void {
  const delivery: DeliveryDeps = {
    db: deps.db,
    mailer: createMailer(deps.config.smtp, deps.log),
    secretKey: deps.secretKey,
    publicUrl: deps.publicUrl,
    webhookAllowPrivate: deps.config.webhookAllowPrivate,
  };
  deps.worker.register(EMAIL_QUEUE, (payload) => deliverEmail(delivery, payload), (payload, ctx, error) => markDeliveryFailed(ctx.db, payload, error));
  deps.worker.register(WEBHOOK_QUEUE, (payload) => deliverWebhook(delivery, payload), (payload, ctx, error) => markDeliveryFailed(ctx.db, payload, error));
}
