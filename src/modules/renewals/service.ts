// Auto-renewal (SPEC.md step 7, API.md PATCH /lines autoRenew): SIMKEEP_RENEW_DAYS_BEFORE days before
// a line with auto-renew on would lapse, its autoRenew plan is bought again for its owner through the
// fallback chain wallet → the default saved method (off-session) → a pay-now link. Owns `renewals`.
// Invariants: at most one renewal per (line, period) — the period is the expiry being extended, and
// renewals UNIQUE (line_id, period_end) decides, whatever the clock does and however many workers
// sweep; one charger per renewal (guarded UPDATE scheduled → charging); every order it places has an
// Idempotency-Key per (renewal, path), so a retried step reuses its order instead of paying twice;
// a renewal_upcoming notice precedes every automatic charge; the monthly cap is checked before one.
//
// Notice rule: the notice is sent when the sweep first sees the line within (daysBefore + 1) days
// of its expiry, and the charge waits at least NOTICE_LEAD_MS after it — unless that would pass the
// expiry itself (auto-renew turned on late, or the clock jumped past it): then the charge is at the
// expiry or at once, so the number is not lost for the sake of the lead time.
import type { Logger } from 'pino';
import { ProviderRejectedError, ProviderUnavailableError, type PaymentProvider, type SavedMethodCharge } from '../../adapters/payments/types.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Money } from '../../domain/money.ts';
import { autoRenewTerms, priceForOrder } from '../catalog/service.ts';
import { notify } from '../notifications/service.ts';
import { getOrder, placeOrder, type OrderDeps } from '../orders/service.ts';
import { defaultSavedMethod, recordPaymentAction } from '../payments/service.ts';

export const RENEWAL_BATCH_MAX = 50;
export const NOTICE_LEAD_MS = 24 * 3_600_000;
/** A renewal left `charging` this long (its worker died mid-chain) is picked up again; its orders' keys make that safe. */
export const CHARGING_STALE_MS = 10 * 60_000;
/** After the provider could not be reached, the saved-method step is retried this much later. */
export const PROVIDER_RETRY_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** Money as the notification templates read it (API.md wire shape). */
const moneyData = (amountMinor: number, currency: string): { amount: number; currency: string } => ({ amount: amountMinor, currency });

export interface RenewalDeps extends OrderDeps {
  renewDaysBefore: number;
}

/** A renewal's states (renewals.status CHECK lists the same). */
export const RENEWAL_STATUSES = ['scheduled', 'charging', 'succeeded', 'pending', 'pay_link', 'capped', 'failed', 'cancelled'] as const;
type RenewalStatus = (typeof RENEWAL_STATUSES)[number];
/** Which step of the fallback chain paid (or asked the subscriber to pay) a renewal. */
export const RENEWAL_PATHS = ['wallet', 'saved_method', 'pay_link'] as const;

interface RenewalRow {
  id: string;
  line_id: string;
  user_id: string;
  period_end: Date;
  plan_id: string;
  amount_minor: number;
  currency: string;
  status: RenewalStatus;
  path: (typeof RENEWAL_PATHS)[number] | null;
  order_id: string | null;
  charge_at: Date;
}

interface DueLine {
  id: string;
  user_id: string;
  msisdn: string | null;
  nickname: string | null;
  expires_at: Date;
  auto_renew_plan_id: string;
}

/** One pass: notices for lines entering the window, charges that are due, pending charges settled. Bounded. */
export async function sweepRenewals(deps: RenewalDeps, log: Logger): Promise<number> {
  const noticed = await scheduleDueRenewals(deps);
  const charged = await chargeDueRenewals(deps, log);
  const settled = await settlePendingRenewals(deps);
  return noticed + charged + settled;
}

/** When the charge happens, by the notice rule in the header. */
export function chargeAtFor(expiresAt: Date, now: Date, renewDaysBefore: number): Date {
  const dueMs = expiresAt.getTime() - renewDaysBefore * DAY_MS;
  const afterLeadMs = Math.max(dueMs, now.getTime() + NOTICE_LEAD_MS);
  return new Date(Math.min(afterLeadMs, Math.max(expiresAt.getTime(), now.getTime())));
}

async function scheduleDueRenewals(deps: RenewalDeps): Promise<number> {
  const now = deps.clock.now();
  const horizon = new Date(now.getTime() + (deps.renewDaysBefore * DAY_MS) + NOTICE_LEAD_MS);
  // Read here rather than through lines' service: the sweep needs an indexed window over all lines.
  const { rows } = await deps.db.query<DueLine>(
    `SELECT l.id, l.user_id, l.msisdn, l.nickname, l.expires_at, l.auto_renew_plan_id FROM lines l
      WHERE l.auto_renew_enabled AND l.expires_at IS NOT NULL AND l.expires_at <= $1
        AND l.status IN ('active', 'grace', 'suspended')
        AND NOT EXISTS (SELECT 1 FROM renewals r WHERE r.line_id = l.id AND r.period_end = l.expires_at)
      ORDER BY l.expires_at LIMIT $2`,
    [horizon, RENEWAL_BATCH_MAX],
  );
  let scheduled = 0;
  for (const line of rows) if (await scheduleOne(deps, line, now)) scheduled++;
  return scheduled;
}

async function scheduleOne(deps: RenewalDeps, line: DueLine, now: Date): Promise<boolean> {
  const price = await renewalPrice(deps.db, line, now);
  const chargeAt = chargeAtFor(new Date(line.expires_at), now, deps.renewDaysBefore);
  return deps.db.transaction(async (tx) => {
    const id = `rnw_${line.id.slice(5)}_${new Date(line.expires_at).getTime().toString(36)}`;
    const status: RenewalStatus = price === null ? 'failed' : 'scheduled';
    const inserted = await tx.query(
      `INSERT INTO renewals (id, line_id, user_id, period_end, plan_id, amount_minor, currency, status, noticed_at, charge_at, detail, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, $9) ON CONFLICT (line_id, period_end) DO NOTHING`,
      [id, line.id, line.user_id, line.expires_at, line.auto_renew_plan_id, price?.amountMinor ?? 0, price?.currency ?? 'XXX', status, now, chargeAt,
        price === null ? 'the auto-renew plan cannot renew this line' : null],
    );
    if (inserted.rowCount !== 1) return false;
    const base = { msisdn: line.msisdn ?? '', nickname: line.nickname ?? '' };
    if (price === null) {
      await notify(tx, {
        now, userId: line.user_id, kind: 'renewal_failed', lineId: line.id, dedupeKey: `renewal_failed:${id}`,
        data: { ...base, reason: 'the auto-renew plan is no longer available for this line; choose another plan' },
      });
      return true;
    }
    await notify(tx, {
      now, userId: line.user_id, kind: 'renewal_upcoming', lineId: line.id, dedupeKey: `renewal_upcoming:${id}`,
      data: { ...base, amount: moneyData(price.amountMinor, price.currency), chargeAt: chargeAt.toISOString(), planId: line.auto_renew_plan_id, turnOff: `PATCH /api/v1/lines/${line.id} {"autoRenew":{"enabled":false}}` },
    });
    return true;
  });
}

/** What renewing would cost now (promotions included), or null when the plan may not renew this line. */
async function renewalPrice(db: Db, line: DueLine, now: Date): Promise<Money | null> {
  const terms = await autoRenewTerms(db, line.auto_renew_plan_id);
  if (terms === null || !terms.autoRenewable) return null;
  try {
    const priced = await priceForOrder(db, now, { userId: line.user_id, lineId: line.id, planId: line.auto_renew_plan_id });
    return priced.kind === 'plan' ? priced.total : null;
  } catch (error) {
    if (error instanceof DomainError) return null;
    throw error;
  }
}

async function chargeDueRenewals(deps: RenewalDeps, log: Logger): Promise<number> {
  const now = deps.clock.now();
  const { rows } = await deps.db.query<{ id: string }>(
    `SELECT id FROM renewals WHERE (status = 'scheduled' AND charge_at <= $1) OR (status = 'charging' AND updated_at <= $2)
      ORDER BY charge_at LIMIT $3`,
    [now, new Date(now.getTime() - CHARGING_STALE_MS), RENEWAL_BATCH_MAX],
  );
  let charged = 0;
  for (const { id } of rows) {
    // The guarded UPDATE makes this worker the renewal's only charger.
    const claimed = await deps.db.query<RenewalRow>(
      `UPDATE renewals SET status = 'charging', updated_at = $2
        WHERE id = $1 AND (status = 'scheduled' OR (status = 'charging' AND updated_at <= $3)) RETURNING *`,
      [id, now, new Date(now.getTime() - CHARGING_STALE_MS)],
    );
    const renewal = claimed.rows[0];
    if (!renewal) continue;
    try {
      await chargeOne(deps, renewal, now);
    } catch (error) {
      log.error({ err: error, renewalId: id }, 'renewal charge failed unexpectedly; retried when stale');
    }
    charged++;
  }
  return charged;
}

async function finish(q: Queryable, id: string, status: RenewalStatus, now: Date, extra: { path?: string; orderId?: string; detail?: string } = {}): Promise<void> {
  await q.query(
    'UPDATE renewals SET status = $2, updated_at = $3, path = COALESCE($4, path), order_id = COALESCE($5, order_id), detail = COALESCE($6, detail) WHERE id = $1',
    [id, status, now, extra.path ?? null, extra.orderId ?? null, extra.detail ?? null],
  );
}

interface LineNow { auto_renew_enabled: boolean; auto_renew_plan_id: string | null; msisdn: string | null; nickname: string | null; cap_minor: number | null; cap_currency: string | null }

async function chargeOne(deps: RenewalDeps, r: RenewalRow, now: Date): Promise<void> {
  const { rows } = await deps.db.query<LineNow>(
    `SELECT auto_renew_enabled, auto_renew_plan_id, msisdn, nickname, auto_renew_monthly_cap_minor AS cap_minor, auto_renew_cap_currency AS cap_currency
       FROM lines WHERE id = $1`, [r.line_id],
  );
  const line = rows[0];
  const base = { msisdn: line?.msisdn ?? '', nickname: line?.nickname ?? '' };
  // Turned off (or another plan chosen) after the notice: nothing is charged for this period.
  if (!line || !line.auto_renew_enabled || line.auto_renew_plan_id !== r.plan_id) {
    await finish(deps.db, r.id, 'cancelled', now, { detail: 'auto-renew turned off or changed' });
    return;
  }
  if (line.cap_minor !== null && line.cap_currency === r.currency && (await spentThisMonth(deps.db, r, now)) + Number(r.amount_minor) > Number(line.cap_minor)) {
    await failWith(deps, r, now, base, 'capped', 'this renewal would exceed the monthly spending cap set on the line; it was not charged');
    return;
  }
  const orderInput = { userId: r.user_id, lineId: r.line_id, planId: r.plan_id, locale: 'en', actor: { userId: r.user_id, role: 'customer' } };
  // A retry after the provider could not be reached returns to the same card order: the wallet is
  // not tried again, or a charge the provider made without telling us would be paid twice.
  if (r.path === 'saved_method' && r.order_id !== null) {
    const reason = await retrySavedMethod(deps, r, now, base, r.order_id);
    if (reason !== null) await payLinkStep(deps, r, now, base, orderInput, reason);
    return;
  }
  // 1. The wallet, when it covers the price (insufficient_funds → next step).
  try {
    const paid = await placeOrder(deps, { ...orderInput, paymentMethod: 'wallet', idempotencyKey: `renewal:${r.id}:wallet` });
    await finish(deps.db, r.id, 'pending', now, { path: 'wallet', orderId: paid.id });
    await settleOne(deps, { ...r, order_id: paid.id }, now);
    return;
  } catch (error) {
    if (!(error instanceof DomainError && error.code === 'insufficient_funds')) return failOnRefusal(deps, r, now, base, error);
  }
  // 2. The default saved method, off-session, by the provider that holds it.
  const saved = await defaultSavedMethod(deps.db, r.user_id);
  const provider = saved === null ? null : deps.providers.byName(saved.provider);
  let reason = 'the wallet does not cover the renewal and no saved card could be charged';
  if (saved !== null && provider !== null && provider.supportsSavedMethods) {
    const order = await placeOrder(deps, { ...orderInput, paymentMethod: 'card', offSessionProvider: provider.name, idempotencyKey: `renewal:${r.id}:card` });
    const paymentId = order.payment?.id;
    if (paymentId === undefined) throw new Error('a card order came back without its payment');
    // Kept before the provider is asked, so any retry comes back to this order (see above).
    await deps.db.query("UPDATE renewals SET path = 'saved_method', order_id = $2, updated_at = $3 WHERE id = $1", [r.id, order.id, now]);
    const outcome = await chargeCard(deps, r, now, base, { orderId: order.id, paymentId, savedMethodRef: saved.provider_ref, provider });
    if (outcome === null) return;
    reason = outcome;
  }
  // 3. A pay-now link: an ordinary order waiting for the subscriber on the provider's page.
  await payLinkStep(deps, r, now, base, orderInput, reason);
}

interface RenewalOrderInput { userId: string; lineId: string; planId: string; locale: string; actor: { userId: string; role: string } }

async function payLinkStep(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, orderInput: RenewalOrderInput, reason: string): Promise<void> {
  try {
    const link = await placeOrder(deps, { ...orderInput, paymentMethod: 'card', idempotencyKey: `renewal:${r.id}:paylink` });
    const url = link.payment?.action.url;
    if (url === undefined) throw new Error('a card order came back without a payment page');
    await payLinkSent(deps, r, now, base, link.id, url, reason);
  } catch (error) {
    await failOnRefusal(deps, r, now, base, error);
  }
}

interface CardCharge { orderId: string; paymentId: string; savedMethodRef: string; provider: PaymentProvider }

/**
 * One off-session charge of the renewal's card order. The provider's idempotency key is the
 * renewal's (line and period): however often this runs, the provider makes one charge. Answers
 * null when the renewal is settled or waiting, or why the pay-now link is needed.
 */
async function chargeCard(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, c: CardCharge): Promise<string | null> {
  let charge: SavedMethodCharge;
  try {
    charge = await c.provider.chargeSavedMethod({
      paymentId: c.paymentId, orderId: c.orderId, amount: { amountMinor: Number(r.amount_minor), currency: r.currency },
      description: 'Auto-renewal', savedMethodRef: c.savedMethodRef, idempotencyKey: `renewal-${r.id}`,
    });
  } catch (error) {
    if (error instanceof ProviderUnavailableError) {
      // The charge may or may not have happened: the same charge is retried later, under the same key.
      await deps.db.query("UPDATE renewals SET status = 'scheduled', charge_at = $2, updated_at = $3 WHERE id = $1", [r.id, new Date(now.getTime() + PROVIDER_RETRY_MS), now]);
      return null;
    }
    if (error instanceof ProviderRejectedError) return 'your saved card could not be charged';
    // Anything else leaves the renewal `charging`: picked up again when stale, back to this same charge.
    throw error;
  }
  // The provider's reference lets refunds and reconciliation find this charge.
  if (charge.providerRef !== '') await recordPaymentAction(deps.db, c.paymentId, charge.providerRef, charge.action ?? { type: 'none' }, now);
  if (charge.status === 'succeeded' || charge.status === 'pending') {
    await finish(deps.db, r.id, 'pending', now, { path: 'saved_method', orderId: c.orderId });
    return null;
  }
  if (charge.status === 'requires_action' && charge.action?.url) {
    await payLinkSent(deps, r, now, base, c.orderId, charge.action.url, 'your bank asks you to confirm this payment');
    return null;
  }
  return charge.status === 'requires_action' ? 'your bank asks you to confirm this payment' : 'your saved card was declined';
}

/** Back to the card order of an earlier attempt that could not reach the provider. */
async function retrySavedMethod(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, orderId: string): Promise<string | null> {
  const order = await getOrder(deps.db, null, orderId);
  if (order.status === 'paid' || order.status === 'provisioning' || order.status === 'completed') {
    await finish(deps.db, r.id, 'pending', now);
    await settleOne(deps, { ...r, order_id: orderId }, now);
    return null;
  }
  const saved = await defaultSavedMethod(deps.db, r.user_id);
  const provider = saved === null ? null : deps.providers.byName(saved.provider);
  const paymentId = order.payment?.id;
  if (order.status !== 'awaiting_payment' || saved === null || provider === null || paymentId === undefined) {
    return 'your saved card could not be charged';
  }
  return chargeCard(deps, r, now, base, { orderId, paymentId, savedMethodRef: saved.provider_ref, provider });
}

async function payLinkSent(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, orderId: string, url: string, reason: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await finish(tx, r.id, 'pay_link', now, { path: 'pay_link', orderId, detail: reason });
    await notify(tx, {
      now, userId: r.user_id, kind: 'renewal_failed', lineId: r.line_id, orderId, dedupeKey: `renewal_failed:${r.id}`,
      data: { ...base, reason, payUrl: url, amount: moneyData(Number(r.amount_minor), r.currency) },
    });
  });
}

async function failWith(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, status: RenewalStatus, reason: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await finish(tx, r.id, status, now, { detail: reason });
    await notify(tx, { now, userId: r.user_id, kind: 'renewal_failed', lineId: r.line_id, dedupeKey: `renewal_failed:${r.id}`, data: { ...base, reason } });
  });
}

async function failOnRefusal(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, error: unknown): Promise<void> {
  if (!(error instanceof DomainError)) throw error;
  await failWith(deps, r, now, base, 'failed', error.message.slice(0, 300));
}

/** What automatic renewals of this line charged in the renewal's calendar month (UTC, app clock). */
async function spentThisMonth(q: Queryable, r: RenewalRow, now: Date): Promise<number> {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const { rows } = await q.query<{ spent: string | null }>(
    `SELECT SUM(amount_minor)::text AS spent FROM renewals
      WHERE line_id = $1 AND id <> $2 AND currency = $3 AND status IN ('succeeded', 'pending') AND path IN ('wallet', 'saved_method')
        AND updated_at >= $4 AND updated_at < $5`,
    [r.line_id, r.id, r.currency, start, end],
  );
  return Number(rows[0]?.spent ?? 0);
}

async function settlePendingRenewals(deps: RenewalDeps): Promise<number> {
  const { rows } = await deps.db.query<RenewalRow>(
    "SELECT * FROM renewals WHERE status = 'pending' ORDER BY updated_at LIMIT $1", [RENEWAL_BATCH_MAX],
  );
  let settled = 0;
  for (const r of rows) if (await settleOne(deps, r, deps.clock.now())) settled++;
  return settled;
}

/** A renewal's order was paid → succeeded (notice once); it failed → the pay-now link. */
async function settleOne(deps: RenewalDeps, r: RenewalRow, now: Date): Promise<boolean> {
  if (r.order_id === null) return false;
  const order = await getOrder(deps.db, null, r.order_id);
  const base = await lineLabel(deps.db, r.line_id);
  if (order.status === 'paid' || order.status === 'provisioning' || order.status === 'completed') {
    return deps.db.transaction(async (tx) => {
      const done = await tx.query("UPDATE renewals SET status = 'succeeded', updated_at = $2 WHERE id = $1 AND status = 'pending'", [r.id, now]);
      if (done.rowCount !== 1) return false;
      const { rows } = await tx.query<{ expires_at: Date | null }>('SELECT expires_at FROM lines WHERE id = $1', [r.line_id]);
      const expiresAt = rows[0]?.expires_at;
      await notify(tx, {
        now, userId: r.user_id, kind: 'renewal_succeeded', lineId: r.line_id, orderId: r.order_id, dedupeKey: `renewal_succeeded:${r.id}`,
        data: { ...base, amount: moneyData(Number(r.amount_minor), r.currency), ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}) },
      });
      return true;
    });
  }
  if (order.status === 'awaiting_payment') return false;
  // Declined after all (the provider's webhook failed the order): fall back to a pay-now link, once.
  const claimed = await deps.db.query("UPDATE renewals SET status = 'charging', updated_at = $2 WHERE id = $1 AND status = 'pending'", [r.id, now]);
  if (claimed.rowCount !== 1) return false;
  const orderInput = { userId: r.user_id, lineId: r.line_id, planId: r.plan_id, locale: 'en', actor: { userId: r.user_id, role: 'customer' } };
  await payLinkStep(deps, r, now, base, orderInput, 'your saved card was declined');
  return true;
}

async function lineLabel(q: Queryable, lineId: string): Promise<Record<string, string>> {
  const { rows } = await q.query<{ msisdn: string | null; nickname: string | null }>('SELECT msisdn, nickname FROM lines WHERE id = $1', [lineId]);
  return { msisdn: rows[0]?.msisdn ?? '', nickname: rows[0]?.nickname ?? '' };
}

/** Whether a renewal exists for this line and period (tests and the calendar). */
export async function renewalsOfLine(q: Queryable, lineId: string): Promise<Array<{ id: string; periodEnd: string; status: string; path: string | null; orderId: string | null }>> {
  const { rows } = await q.query<{ id: string; period_end: Date; status: string; path: string | null; order_id: string | null }>(
    'SELECT id, period_end, status, path, order_id FROM renewals WHERE line_id = $1 ORDER BY period_end', [lineId],
  );
  return rows.map((r) => ({ id: r.id, periodEnd: new Date(r.period_end).toISOString(), status: r.status, path: r.path, orderId: r.order_id }));
}
