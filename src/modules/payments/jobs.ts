// The payments module's worker jobs: the sandbox provider's webhook deliveries.
import type { AppDeps } from '../../http/types.ts';
import { SANDBOX_WEBHOOK_QUEUE, deliverSandboxWebhook, deliveryFor } from './sandbox-service.ts';

export function paymentsJobs(deps: AppDeps): void {
  if (!deps.config.sandbox) return;
  const deliver = deliveryFor(deps);
  deps.worker.register(SANDBOX_WEBHOOK_QUEUE, (payload) => deliverSandboxWebhook(deps, payload, deliver), async (payload, _ctx, error) => {
    deps.log.error({ queue: SANDBOX_WEBHOOK_QUEUE, eventId: (payload['event'] as { id?: string } | undefined)?.id, error }, 'sandbox webhook undeliverable');
  });
}
