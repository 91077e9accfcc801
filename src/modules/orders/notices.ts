// Order and refund notices: what the subscriber hears when an order completes or fails and when a
// refund succeeds. Each is one call inside the transaction that makes the change, with a dedupe key
// per order or refund, so a re-run of a guarded transition (a repeated webhook, a retried job) tells
// nobody twice and a change that rolled back tells nobody at all.
import type { Queryable } from '../../db/types.ts';
import { notify } from '../notifications/service.ts';
import { getRefund } from '../payments/service.ts';

interface OrderFacts {
  status: string;
  user_id: string;
  line_id: string;
  total_minor: number;
  currency: string;
  msisdn: string | null;
  nickname: string | null;
}

async function orderFacts(tx: Queryable, orderId: string): Promise<OrderFacts | null> {
  const { rows } = await tx.query<OrderFacts>(
    `SELECT o.status, o.user_id, o.line_id, o.total_minor::int AS total_minor, o.currency, l.msisdn, l.nickname
       FROM orders o JOIN lines l ON l.id = o.line_id WHERE o.id = $1`,
    [orderId],
  );
  return rows[0] ?? null;
}

const lineData = (o: OrderFacts): Record<string, string> => ({
  ...(o.msisdn ? { msisdn: o.msisdn } : {}), ...(o.nickname ? { nickname: o.nickname } : {}),
});

/** The order reached `completed` or `failed` in this transaction; `reason` says why it failed. */
export async function noticeOrderOutcome(tx: Queryable, orderId: string, outcome: 'completed' | 'failed', now: Date, reason?: string): Promise<void> {
  const o = await orderFacts(tx, orderId);
  // Only a change that really happened: a declined payment of an order already expired fails nothing.
  if (o?.status !== outcome) return;
  const kind = outcome === 'completed' ? 'order_completed' : 'order_failed';
  const data = {
    ...lineData(o), orderNumber: orderId, amount: { amount: o.total_minor, currency: o.currency },
    ...(reason ? { reason: reason.slice(0, 200) } : {}),
  };
  await notify(tx, { now, userId: o.user_id, kind, lineId: o.line_id, orderId, data, dedupeKey: `${kind}:${orderId}` });
}

/** The refund succeeded in this transaction (at once to the wallet, or on the provider's confirmation). */
export async function noticeRefundIssued(tx: Queryable, refundId: string, now: Date): Promise<void> {
  const refund = await getRefund(tx, refundId);
  if (refund?.status !== 'succeeded') return;
  const o = await orderFacts(tx, refund.order_id);
  if (!o) return;
  await notify(tx, {
    now, userId: o.user_id, kind: 'refund_issued', lineId: o.line_id, orderId: refund.order_id,
    data: { ...lineData(o), orderNumber: refund.order_id, amount: { amount: Number(refund.amount_minor), currency: refund.currency } },
    dedupeKey: `refund_issued:${refundId}`,
  });
}
