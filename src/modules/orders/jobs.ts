// The orders module's worker jobs: provisioning (outbox, retried with backoff, compensated by a
// refund on the last failure), the status query of a request an asynchronous carrier accepted
// (polled with backoff; compensated when the carrier refuses or never answers), provider refunds whose answer did not arrive (re-driven with the same
// refund id), per-order payment expiry, the expiry sweep and daily reconciliation.
import type { AppDeps } from '../../app-deps.ts';
import { PROVISIONING_STATUS_QUEUE, checkProvisioningStatus, provisionOrder } from './provisioning.ts';
import { reconcileIfDue } from './reconciliation.ts';
import { REFUND_PROVIDER_QUEUE, compensateFailedProvisioning, retryProviderRefund } from './refunds.ts';
import { ORDER_EXPIRY_QUEUE, expireDueOrders, expireOrder } from './service.ts';
import { PROVISIONING_QUEUE } from './settlement.ts';

const EXPIRY_SWEEP_EVERY_MS = 60_000;
const RECONCILIATION_CHECK_EVERY_MS = 60_000;

export function ordersJobs(deps: AppDeps): void {
  const refundDeps = { db: deps.db, clock: deps.clock, providers: deps.payments };
  const provisionDeps = { db: deps.db, clock: deps.clock, carrier: deps.carrier };
  deps.worker.register(
    PROVISIONING_QUEUE,
    async (payload) => {
      await provisionOrder(provisionDeps, payload.orderId);
    },
    async (payload, _ctx, error) => {
      deps.log.warn({ orderId: payload.orderId, error }, 'provisioning failed for good: refunding the order');
      await compensateFailedProvisioning(refundDeps, payload.orderId, error);
    },
  );
  deps.worker.register(
    PROVISIONING_STATUS_QUEUE,
    async (payload) => {
      if ((await checkProvisioningStatus(provisionDeps, payload.orderId)) === 'failed') {
        await compensateFailedProvisioning(refundDeps, payload.orderId, 'the carrier refused the request');
      }
    },
    async (payload, _ctx, error) => {
      deps.log.warn({ orderId: payload.orderId, error }, 'carrier never answered the accepted request: refunding the order');
      await compensateFailedProvisioning(refundDeps, payload.orderId, error);
    },
  );
  deps.worker.register(
    REFUND_PROVIDER_QUEUE,
    async (payload) => {
      await retryProviderRefund(refundDeps, payload.refundId);
    },
    async (payload, _ctx, error) => {
      // Never reversed on a timeout: the provider may have refunded. The reservation holds the money.
      deps.log.error({ refundId: payload.refundId, error }, 'provider refund still unanswered after every retry: stays pending, needs an operator');
    },
  );
  deps.worker.register(ORDER_EXPIRY_QUEUE, async (payload) => {
    await expireOrder(deps.db, payload.orderId, deps.clock.now());
  });
  deps.worker.every('orders.expiry-sweep', EXPIRY_SWEEP_EVERY_MS, async ({ db, clock }) => {
    await expireDueOrders(db, clock.now());
  });
  deps.worker.every('orders.reconciliation', RECONCILIATION_CHECK_EVERY_MS, async ({ db, clock }) => {
    await reconcileIfDue(db, clock.now(), refundDeps.providers);
  });
}
