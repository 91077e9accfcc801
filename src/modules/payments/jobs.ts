// The payments module's worker jobs: the sandbox provider's webhook deliveries.
import type { AppDeps } from '../../app-deps.ts';
import { SANDBOX_WEBHOOK_QUEUE, deliverSandboxWebhook } from './sandbox-service.ts';

export function paymentsJobs(deps: AppDeps): void {
  if (!deps.config.sandbox) return;
  const delivery = { secretKey: deps.secretKey, publicUrl: deps.publicUrl, deliver: deps.sandboxDelivery };
  deps.worker.register(SANDBOX_WEBHOOK_QUEUE, (payload) => deliverSandboxWebhook(delivery, payload.event), async (payload, _ctx, error) => {
    deps.log.error({ queue: SANDBOX_WEBHOOK_QUEUE, eventId: payload.event.id, error }, 'sandbox webhook undeliverable');
  });
}
