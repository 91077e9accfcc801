// Promotion redemptions: an order reserves the promotions its price used, in its own transaction,
// and gives them back when it is cancelled, expires or fails before payment. Invariants: a
// promotion's reserved redemptions never exceed maxRedemptions, nor a user's perUserLimit (a guarded
// UPDATE on the promotion row, whose lock also serialises the per-user count); a line holds at most
// ONE reserved redemption of a first-recharge promotion (a partial unique index, migration 0008) —
// the bonus of a line's first recharge is granted once, however many orders race for it.
import type { QueryResult, Queryable } from '../../db/types.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/types.ts';
import { conflict, notFound, validation, type DomainError } from '../../domain/errors.ts';
import { STACKED_PROMOTIONS_MAX } from '../../domain/promotion.ts';
import { getLineById } from '../lines/service.ts';

/** Promotions one order may reserve: a bound on the loop, far above what stacking produces. */
const RESERVE_PROMOTIONS_MAX = STACKED_PROMOTIONS_MAX;
/** promotion_redemptions.status: counted against the promotion's limits, or given back (the order did not go through). */
export const REDEMPTION_STATUSES = ['reserved', 'released'] as const;

/**
 * The subscriber entered this coupon: it is used up. An automatic promotion they never chose ran
 * out (or, for a first-recharge bonus, went to another order of the line) between their quote and
 * their order: the price they were shown no longer holds, so they ask for a new quote.
 */
function exhausted(promotion: { couponCode: string | null }): DomainError {
  if (promotion.couponCode !== null) return conflict('coupon_exhausted', 'the coupon has been used up');
  return conflict('promotion_exhausted', 'a promotion in this price is no longer available; ask for a new quote');
}

interface LockedPromotion {
  kind: string;
  couponCode: string | null;
}

async function lockPromotion(tx: Queryable, promotionId: string): Promise<LockedPromotion> {
  const { rows } = await tx.query<{ kind: string; coupon_code: string | null }>(
    'SELECT kind, coupon_code FROM promotions WHERE id = $1 FOR UPDATE', [promotionId],
  );
  const row = rows[0];
  if (!row) throw notFound('promotion_not_found', `no promotion ${promotionId}`);
  return { kind: row.kind, couponCode: row.coupon_code };
}

/**
 * Whether the line's first recharge is already spoken for: a reserved first-recharge redemption
 * (an order awaiting payment, paid, or done) other than `exceptOrderId`'s.
 */
async function firstRechargeTaken(db: Queryable, lineId: string, exceptOrderId: string | null = null): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM promotion_redemptions
      WHERE first_recharge_line_id = $1 AND status = 'reserved' AND ($2::text IS NULL OR order_id <> $2) LIMIT 1`,
    [lineId, exceptOrderId],
  );
  return rowCount > 0;
}

interface ReserveInput {
  orderId: string;
  userId: string;
  lineId: string;
  now: Date;
}

/** Re-checked under the promotion's row lock: the line was never recharged and holds no grant. */
async function assertFirstRechargeFree(tx: Queryable, promotion: LockedPromotion, input: ReserveInput): Promise<void> {
  const line = await getLineById(tx, input.lineId);
  if (line.lastRechargeAt !== null || (await firstRechargeTaken(tx, input.lineId, input.orderId))) throw exhausted(promotion);
}

/** Idempotent per (promotion, order): a reserved row stays as it is; a released one is taken again. */
function insertRedemption(tx: Queryable, promotionId: string, input: ReserveInput, firstRecharge: boolean): Promise<QueryResult<{ promotion_id: string }>> {
  return tx.query<{ promotion_id: string }>(
    `INSERT INTO promotion_redemptions (promotion_id, order_id, user_id, line_id, status, created_at, first_recharge_line_id)
     VALUES ($1, $2, $3, $4, 'reserved', $5, $6)
     ON CONFLICT (promotion_id, order_id) DO UPDATE SET status = 'reserved', first_recharge_line_id = EXCLUDED.first_recharge_line_id
      WHERE promotion_redemptions.status = 'released'
     RETURNING promotion_id`,
    [promotionId, input.orderId, input.userId, input.lineId, input.now, firstRecharge ? input.lineId : null],
  );
}

/** One promotion's redemption for one order; see reservePromotions. */
async function reserveOne(tx: Queryable, promotionId: string, input: ReserveInput): Promise<void> {
  // The row lock orders this reservation with every other one of the promotion (and its PATCH).
  const promotion = await lockPromotion(tx, promotionId);
  const firstRecharge = promotion.kind === 'first_recharge_bonus';
  if (firstRecharge) await assertFirstRechargeFree(tx, promotion, input);
  const claimed = await insertRedemption(tx, promotionId, input, firstRecharge).catch((error: unknown) => {
    // Two first-recharge promotions of one line are not serialised by one row lock: the unique
    // index (one reserved grant per line) is what refuses the second.
    throw pgErrorCode(error) === PG_UNIQUE_VIOLATION ? exhausted(promotion) : error;
  });
  if (claimed.rowCount === 0) return;
  // The guarded increment: a racer that finds the counter at the limit (re-checked after the lock) updates nothing.
  const counted = await tx.query<{ per_user_limit: number | null }>(
    `UPDATE promotions SET redemption_count = redemption_count + 1
      WHERE id = $1 AND (max_redemptions IS NULL OR redemption_count < max_redemptions) RETURNING per_user_limit`,
    [promotionId],
  );
  const row = counted.rows[0];
  if (!row) throw exhausted(promotion);
  if (row.per_user_limit === null) return;
  // Counted while holding the promotion row lock, so two orders of one user cannot both pass.
  const mine = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM promotion_redemptions WHERE promotion_id = $1 AND user_id = $2 AND status = 'reserved'`,
    [promotionId, input.userId],
  );
  if ((mine.rows[0]?.n ?? 0) > row.per_user_limit) throw exhausted(promotion);
}

/**
 * Reserves the promotions' redemptions for an order, inside the order's transaction. Enforces
 * maxRedemptions, perUserLimit and one first-recharge grant per line atomically; otherwise throws
 * conflict `coupon_exhausted` (a coupon) or `promotion_exhausted` (an automatic promotion: ask for a
 * new quote) — the caller's transaction then rolls back every reservation of the order. Idempotent
 * per (promotion, order). Promotions are locked in id order so two orders cannot deadlock.
 */
export async function reservePromotions(
  tx: Queryable, input: { orderId: string; userId: string; lineId: string; promotionIds: string[]; now: Date },
): Promise<void> {
  const ids = [...new Set(input.promotionIds)].sort();
  if (ids.length > RESERVE_PROMOTIONS_MAX) throw validation('too_many_promotions', `at most ${RESERVE_PROMOTIONS_MAX} promotions per order`);
  for (const id of ids) await reserveOne(tx, id, input);
}

/** Gives the redemptions back when an order is cancelled, expires or fails before payment. Idempotent. */
export async function releasePromotions(tx: Queryable, orderId: string): Promise<void> {
  const { rows } = await tx.query<{ promotion_id: string }>(
    `SELECT promotion_id FROM promotion_redemptions WHERE order_id = $1 AND status = 'reserved' ORDER BY promotion_id LIMIT $2`,
    [orderId, RESERVE_PROMOTIONS_MAX],
  );
  for (const { promotion_id: promotionId } of rows) {
    // The guarded flip makes a second release (or a concurrent one) give nothing back twice.
    const flipped = await tx.query(
      `UPDATE promotion_redemptions SET status = 'released' WHERE promotion_id = $1 AND order_id = $2 AND status = 'reserved'`,
      [promotionId, orderId],
    );
    if (flipped.rowCount === 0) continue;
    await tx.query('UPDATE promotions SET redemption_count = redemption_count - 1 WHERE id = $1', [promotionId]);
  }
}

/**
 * A line's first recharge: it was never recharged, and no order of it (awaiting payment, paid or
 * done) already holds a first-recharge promotion — the bonus is granted once per line. Reservation
 * re-checks it under the promotion's row lock (reserveOne).
 */
export async function isFirstRecharge(db: Queryable, line: { id: string; lastRechargeAt: Date | null }): Promise<boolean> {
  return line.lastRechargeAt === null && !(await firstRechargeTaken(db, line.id));
}

