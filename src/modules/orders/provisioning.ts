// Provisioning a paid order at the carrier: a job from the outbox (written by the capture
// transaction), run by the worker with exponential backoff. Steps, each idempotent:
//   1. paid → provisioning (guarded UPDATE; a retry finds it already there),
//   2. the carrier request (outside any transaction; the carrier dedupes by order id),
//   3. one transaction: credit the line (creditPlan / recordRecharge, idempotent per order) and
//      provisioning → completed — only while the order is still provisioning (a refund may have won).
// Compensation: when the last attempt fails, the order is refunded in full (refunds.ts).
import type { Db } from '../../db/types.ts';
import type { CarrierAdapter } from '../../adapters/carriers/types.ts';
import { invariant } from '../../domain/invariant.ts';
import type { Clock } from '../clock/service.ts';
import { creditPlan, getLineById, recordRecharge } from '../lines/service.ts';
import { loadOrder, transitionOrder } from './records.ts';
import { noticeOrderOutcome } from './notices.ts';

export interface ProvisionDeps {
  db: Db;
  clock: Clock;
  carrier: CarrierAdapter;
}

export type ProvisionOutcome = 'completed' | 'not_due';

export async function provisionOrder(deps: ProvisionDeps, orderId: string): Promise<ProvisionOutcome> {
  const started = await deps.db.transaction(async (tx) => {
    await transitionOrder(tx, { orderId, from: ['paid'], to: 'provisioning', now: deps.clock.now() });
    return (await loadOrder(tx, orderId)).status === 'provisioning';
  });
  if (!started) return 'not_due';
  const order = await loadOrder(deps.db, orderId);
  const line = await getLineById(deps.db, order.line_id);
  const result = await deps.carrier.provision({
    orderId, lineId: line.id, iccid: line.iccid, msisdn: line.msisdn, carrierCode: line.carrierCode, kind: order.kind,
    planId: order.plan?.id ?? null, validityDays: order.plan?.validityDays ?? null, allowances: order.plan?.allowances ?? null,
  });
  if (result.status !== 'done') throw new Error(`carrier ${deps.carrier.name} refused order ${orderId}: ${result.reason ?? 'failed'}`);

  return deps.db.transaction(async (tx) => {
    const now = deps.clock.now();
    const locked = await loadOrder(tx, orderId, { lock: true });
    if (locked.status !== 'provisioning') return 'not_due';
    if (locked.kind === 'plan') {
      invariant(locked.plan, 'a plan order has its plan snapshot');
      const p = locked.plan;
      await creditPlan(tx, {
        lineId: locked.line_id, orderId, now,
        plan: { id: p.id, name: p.name, kind: p.kind, validityDays: p.validityDays, allowances: p.allowances, expiryPolicy: p.expiryPolicy },
        bonus: { dataMb: locked.bonus.dataMb, validityDays: locked.bonus.validityDays },
      });
    } else {
      // The wallet was credited at capture; the line records the top-up as a keep-alive recharge.
      await recordRecharge(tx, { lineId: locked.line_id, orderId, now });
    }
    await transitionOrder(tx, { orderId, from: ['provisioning'], to: 'completed', now, detail: `carrier ref ${result.reference}` });
    await noticeOrderOutcome(tx, orderId, 'completed', now);
    return 'completed';
  });
}
