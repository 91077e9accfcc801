// Order rows, their event history and the API view of an order (API.md "Orders and payments").
// Every status change writes an order_events row in the same transaction, which is what the
// order page shows as `paid → provisioning → completed`.
import type { Queryable } from '../../db/types.ts';
import type { OrderKind } from '../../domain/pricing.ts';
import type { OrderView } from './schemas.ts';
import { notFound } from '../../domain/errors.ts';
import { money, moneyJson, type Money, type MoneyJson } from '../../domain/money.ts';
import { pickLocalized } from '../../domain/localized-text.ts';
import { paymentOfOrder, toPaymentView, type PaymentRow } from '../payments/service.ts';
import type { PaymentMethod } from '../payments/service.ts';
import type { PlanSnapshot } from '../catalog/service.ts';

export type { PlanSnapshot };

export const ORDER_STATUSES = ['awaiting_payment', 'paid', 'provisioning', 'completed', 'failed', 'cancelled', 'refunded', 'expired'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface OrderBonus {
  dataMb: number;
  validityDays: number;
  walletCreditMinor: number;
}

export interface OrderRow {
  id: string;
  user_id: string;
  line_id: string;
  kind: OrderKind;
  status: OrderStatus;
  plan: PlanSnapshot | null;
  quote_id: string | null;
  subtotal_minor: number;
  discount_minor: number;
  total_minor: number;
  currency: string;
  discounts: Array<{ promotionId: string; title: unknown; amount: MoneyJson }>;
  bonus: OrderBonus;
  promotion_ids: string[];
  payment_method: PaymentMethod;
  idempotency_key: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  paid_at: Date | null;
  completed_at: Date | null;
}

export const orderTotal = (o: OrderRow): Money => money(o.total_minor, o.currency);

export const orderNotFound = (): Error => notFound('order_not_found', 'order not found');

export async function loadOrder(q: Queryable, orderId: string, options: { userId?: string; lock?: boolean } = {}): Promise<OrderRow> {
  const { rows } = await q.query<OrderRow>(
    `SELECT * FROM orders WHERE id = $1 AND ($2::text IS NULL OR user_id = $2)${options.lock ? ' FOR UPDATE' : ''}`,
    [orderId, options.userId ?? null],
  );
  const row = rows[0];
  if (!row) throw orderNotFound();
  return row;
}

export async function addOrderEvent(tx: Queryable, orderId: string, at: Date, status: string, detail: string | null = null): Promise<void> {
  await tx.query('INSERT INTO order_events (order_id, at, status, detail) VALUES ($1, $2, $3, $4)', [orderId, at, status, detail]);
}

/**
 * Moves an order from one of `from` to `to` with one guarded UPDATE (zero rows = another path got
 * there first: the caller changes nothing else) and records the event — one statement, so it is
 * atomic on its own and needs no transaction of its own.
 */
export async function transitionOrder(
  tx: Queryable,
  input: { orderId: string; from: readonly OrderStatus[]; to: OrderStatus; now: Date; detail?: string | null },
): Promise<OrderRow | null> {
  const { rows } = await tx.query<OrderRow>(
    `WITH o AS (
       UPDATE orders SET status = $3, updated_at = $4,
              paid_at = CASE WHEN $3 = 'paid' THEN $4 ELSE paid_at END,
              completed_at = CASE WHEN $3 = 'completed' THEN $4 ELSE completed_at END
        WHERE id = $1 AND status = ANY($2::text[]) RETURNING *),
     e AS (INSERT INTO order_events (order_id, at, status, detail) SELECT o.id, $4, $3, $5::text FROM o)
     SELECT * FROM o`,
    [input.orderId, input.from, input.to, input.now, input.detail ?? null],
  );
  return rows[0] ?? null;
}

export type { OrderView };

/** A discount's title as stored (a localized map, or plain text from before titles were localized) in the caller's locale. */
function localTitle(title: unknown, locale: string): string {
  if (typeof title === 'string') return title;
  if (title === null || typeof title !== 'object') return '';
  const texts = Object.fromEntries(Object.entries(title).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return pickLocalized(texts, locale);
}

/** Orders' event histories shown with an order; each order has a handful. */
const ORDER_EVENTS_SHOWN_MAX = 100;

export interface OrderEventRow {
  at: Date;
  status: string;
  detail: string | null;
}

/** The order as the API shows it, read from the database (its payment and events). */
export async function orderView(q: Queryable, order: OrderRow, locale = 'en', known: { payment?: PaymentRow | null } = {}): Promise<OrderView> {
  const payment = known.payment !== undefined ? known.payment : await paymentOfOrder(q, order.id);
  const { rows: events } = await q.query<OrderEventRow>(
    'SELECT at, status, detail FROM order_events WHERE order_id = $1 ORDER BY id LIMIT $2',
    [order.id, ORDER_EVENTS_SHOWN_MAX],
  );
  return toOrderView(order, payment, events, locale);
}

/** The view from rows already in hand (a transaction's RETURNING): no read. */
export function toOrderView(order: OrderRow, payment: PaymentRow | null, events: readonly OrderEventRow[], locale = 'en'): OrderView {
  const p = order.plan;
  return {
    id: order.id,
    lineId: order.line_id,
    kind: order.kind,
    status: order.status,
    plan: p ? { id: p.id, code: p.code, name: pickLocalized(p.name, locale) || p.code, validityDays: p.validityDays, allowances: p.allowances } : null,
    subtotal: moneyJson(order.subtotal_minor, order.currency),
    discount: moneyJson(order.discount_minor, order.currency),
    total: moneyJson(order.total_minor, order.currency),
    discounts: order.discounts.map((d) => ({ promotionId: d.promotionId, title: localTitle(d.title, locale), amount: d.amount })),
    bonus: { dataMb: order.bonus.dataMb, validityDays: order.bonus.validityDays, walletCredit: moneyJson(order.bonus.walletCreditMinor, order.currency) },
    paymentMethod: order.payment_method,
    payment: payment ? toPaymentView(payment) : null,
    createdAt: order.created_at.toISOString(),
    expiresAt: order.expires_at.toISOString(),
    paidAt: order.paid_at?.toISOString() ?? null,
    completedAt: order.completed_at?.toISOString() ?? null,
    events: events.map((e) => ({ at: e.at.toISOString(), status: e.status, detail: e.detail })),
  };
}
