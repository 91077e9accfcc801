// Auto-renewal (SPEC.md step 7, API.md PATCH /lines autoRenew): SIMKEEP_RENEW_DAYS_BEFORE days before
// a line with auto-renew on would lapse, its autoRenew plan is bought again for its owner through the
// fallback chain wallet → the default saved method (off-session) → a pay-now link. Owns `renewals`.
// Invariants: at most one renewal per (line, period) — the period is the expiry being extended, and
// renewals UNIQUE (line_id, period_end) decides, whatever the clock does and however many workers
// sweep; one charger per renewal (guarded UPDATE scheduled → charging); every order it places has an
// Idempotency-Key per (renewal, path), so a retried step reuses its order instead of paying twice;
// a renewal_upcoming notice precedes every automatic charge; the monthly cap is checked before one;
// low_balance goes out with the notice when the wallet alone would pay and holds less than the price.
// Lines are read through the lines module; the sweep runs just before the lifecycle (renewalsInFlight
// holds back the lapse of a period being paid), so a clock jump renews before it suspends.
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
import { walletBalance } from '../ledger/service.ts';
import { autoRenewLinesExpiringBy, autoRenewStateOf, type AutoRenewLine } from '../lines/service.ts';
import { defaultSavedMethod, recordPaymentAction } from '../payments/service.ts';

export const RENEWAL_BATCH_MAX = 50;
export const NOTICE_LEAD_MS = 24 * 3_600_000;
/** A renewal left `charging` this long (its worker died mid-chain) is picked up again; its orders' keys make that safe. */
export const CHARGING_STALE_MS = 10 * 60_000;
/** After the provider could not be reached, the saved-method step is retried this much later. */
export const PROVIDER_RETRY_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/**
 * Why a renewal was not paid automatically: the code goes into the renewal_failed notice, whose
 * templates word it in the subscriber's language; this English text is kept as the renewal's detail.
 */
export const RENEWAL_FAILURE_REASONS = {
  plan_unavailable: 'the auto-renew plan is no longer available for this line; choose another plan',
  no_funds: 'the wallet does not cover the renewal and no saved card could be charged',
  card_declined: 'card_declined',
  card_failed: 'your saved card could not be charged',
  confirmation_required: 'confirmation_required',
  monthly_cap: 'this renewal would exceed the monthly spending cap set on the line; it was not charged',
} as const;
type FailureReason = keyof typeof RENEWAL_FAILURE_REASONS;
/** A known reason, or a refusal from a use case (its message; the templates show it as it is). */
type Failure = FailureReason | { refused: string };
const failureData = (why: Failure): { reasonCode: string; reason: string } =>
  typeof why === 'string' ? { reasonCode: why, reason: RENEWAL_FAILURE_REASONS[why] } : { reasonCode: 'refused', reason: why.refused };

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
  /** The saved method the off-session charge went to (migration 0029): a retry goes there again. */
  charged_provider: string | null;
  charged_method_ref: string | null;
}

type DueLine = AutoRenewLine;

/** Lines scanned per pass for one without a renewal this period: lines whose renewal failed stay in the window until they renew or lapse. */
const SCHEDULE_SCAN_PAGES_MAX = 20;
/**
 * How long a renewal being paid keeps its line from lapsing (app clock, after its last change): long
 * enough for the order to be provisioned and credit the line, short enough that a provider that
 * never answers does not keep a line alive for free.
 */
export const RENEWAL_HOLD_MS = 30 * 60_000;
/** Held lines handed to one lifecycle pass. */
const HELD_LINES_MAX = 1_000;

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
  const rows = await linesWithoutRenewal(deps.db, now, horizon);
  let scheduled = 0;
  for (const line of rows) if (await scheduleOne(deps, line, now)) scheduled++;
  return scheduled;
}

/** Up to RENEWAL_BATCH_MAX lines in the window that have no renewal for their current expiry yet (a bounded scan). */
async function linesWithoutRenewal(db: Db, now: Date, horizon: Date): Promise<DueLine[]> {
  const found: DueLine[] = [];
  let after: { expiresAt: Date; id: string } | null = null;
  for (let page = 0; page < SCHEDULE_SCAN_PAGES_MAX && found.length < RENEWAL_BATCH_MAX; page++) {
    const { lines, nextAfter } = await autoRenewLinesExpiringBy(db, now, horizon, { limit: RENEWAL_BATCH_MAX, after });
    const { rows } = await db.query<{ line_id: string; period_end: Date }>(
      'SELECT line_id, period_end FROM renewals WHERE line_id = ANY($1::text[])', [lines.map((l) => l.id)],
    );
    const renewed = new Set(rows.map((r) => `${r.line_id}@${new Date(r.period_end).getTime()}`));
    found.push(...lines.filter((l) => !renewed.has(`${l.id}@${l.expiresAt.getTime()}`)));
    if (nextAfter === null) break;
    after = nextAfter;
  }
  return found.slice(0, RENEWAL_BATCH_MAX);
}

/**
 * The periods whose lapse waits for their renewal (advanceDueLines' `held`): due and not charged
 * yet, being charged, or paid but not yet credited to the line — each for at most RENEWAL_HOLD_MS
 * after its last change. A lapse that waited is still stamped at its real instant if the renewal fails.
 */
export async function renewalsInFlight(q: Queryable, now: Date): Promise<Array<{ lineId: string; periodEnd: Date }>> {
  const { rows } = await q.query<{ line_id: string; period_end: Date }>(
    `SELECT line_id, period_end FROM renewals
      WHERE (status = 'scheduled' AND charge_at <= $1) OR (status IN ('charging', 'pending', 'succeeded') AND updated_at > $2)
      ORDER BY period_end LIMIT $3`,
    [now, new Date(now.getTime() - RENEWAL_HOLD_MS), HELD_LINES_MAX],
  );
  return rows.map((r) => ({ lineId: r.line_id, periodEnd: new Date(r.period_end) }));
}

async function scheduleOne(deps: RenewalDeps, line: DueLine, now: Date): Promise<boolean> {
  const price = await renewalPrice(deps.db, line, now);
  const chargeAt = chargeAtFor(line.expiresAt, now, deps.renewDaysBefore);
  return deps.db.transaction(async (tx) => {
    const id = `rnw_${line.id.slice(5)}_${line.expiresAt.getTime().toString(36)}`;
    const status: RenewalStatus = price === null ? 'failed' : 'scheduled';
    const inserted = await tx.query(
      `INSERT INTO renewals (id, line_id, user_id, period_end, plan_id, amount_minor, currency, status, noticed_at, charge_at, detail, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, $9) ON CONFLICT (line_id, period_end) DO NOTHING`,
      [id, line.id, line.userId, line.expiresAt, line.planId, price?.amountMinor ?? 0, price?.currency ?? 'XXX', status, now, chargeAt,
        price === null ? 'the auto-renew plan cannot renew this line' : null],
    );
    if (inserted.rowCount !== 1) return false;
    const base = { msisdn: line.msisdn ?? '', nickname: line.nickname ?? '' };
    if (price === null) {
      await notify(tx, {
        now, userId: line.userId, kind: 'renewal_failed', lineId: line.id, dedupeKey: `renewal_failed:${id}`,
        data: { ...base, ...failureData('plan_unavailable') },
      });
      return true;
    }
    await notify(tx, {
      now, userId: line.userId, kind: 'renewal_upcoming', lineId: line.id, dedupeKey: `renewal_upcoming:${id}`,
      data: { ...base, amount: moneyData(price.amountMinor, price.currency), chargeAt: chargeAt.toISOString(), planId: line.planId, turnOff: `PATCH /api/v1/lines/${line.id} {"autoRenew":{"enabled":false}}` },
    });
    await warnLowBalance(tx, { id, line, price, chargeAt, now });
    return true;
  });
}

/**
 * low_balance, with the renewal notice: the renewal will be paid by the wallet — no default saved
 * card stands behind it — and the wallet holds less than its price, so without a top-up before
 * chargeAt the subscriber gets a pay-now link instead. Once per line and period: the key names the
 * renewal, which is itself one per (line, period).
 */
async function warnLowBalance(tx: Queryable, r: { id: string; line: DueLine; price: Money; chargeAt: Date; now: Date }): Promise<void> {
  if ((await defaultSavedMethod(tx, r.line.userId)) !== null) return;
  const balance = await walletBalance(tx, r.line.userId, r.price.currency);
  if (balance.amountMinor >= r.price.amountMinor) return;
  await notify(tx, {
    now: r.now, userId: r.line.userId, kind: 'low_balance', lineId: r.line.id, dedupeKey: `low_balance:${r.id}`,
    data: {
      msisdn: r.line.msisdn ?? '', nickname: r.line.nickname ?? '', balance: moneyData(balance.amountMinor, balance.currency),
      amount: moneyData(r.price.amountMinor, r.price.currency), chargeAt: r.chargeAt.toISOString(),
    },
  });
}

/** What renewing would cost now (promotions included), or null when the plan may not renew this line. */
async function renewalPrice(db: Db, line: DueLine, now: Date): Promise<Money | null> {
  const terms = await autoRenewTerms(db, line.planId);
  if (terms === null || !terms.autoRenewable) return null;
  try {
    const priced = await priceForOrder(db, now, { userId: line.userId, lineId: line.id, planId: line.planId });
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

async function chargeOne(deps: RenewalDeps, r: RenewalRow, now: Date): Promise<void> {
  const line = await autoRenewStateOf(deps.db, r.line_id);
  const base = { msisdn: line?.msisdn ?? '', nickname: line?.nickname ?? '' };
  // Turned off (or another plan chosen) after the notice: nothing is charged for this period.
  if (!line || !line.enabled || line.planId !== r.plan_id) {
    await finish(deps.db, r.id, 'cancelled', now, { detail: 'auto-renew turned off or changed' });
    return;
  }
  const cap = line.monthlyCap;
  if (cap !== null && cap.currency === r.currency && (await spentThisMonth(deps.db, r, now)) + Number(r.amount_minor) > cap.amountMinor) {
    await failWith(deps, r, now, base, 'capped', 'monthly_cap');
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
  let reason: FailureReason = 'no_funds';
  if (saved !== null && provider !== null && provider.supportsSavedMethods) {
    const order = await placeOrder(deps, { ...orderInput, paymentMethod: 'card', offSessionProvider: provider.name, idempotencyKey: `renewal:${r.id}:card` });
    const paymentId = order.payment?.id;
    if (paymentId === undefined) throw new Error('a card order came back without its payment');
    // Kept before the provider is asked, so any retry comes back to this order and this card (see above).
    await deps.db.query(
      "UPDATE renewals SET path = 'saved_method', order_id = $2, charged_provider = $3, charged_method_ref = $4, updated_at = $5 WHERE id = $1",
      [r.id, order.id, provider.name, saved.provider_ref, now],
    );
    const outcome = await chargeCard(deps, r, now, base, { orderId: order.id, paymentId, savedMethodRef: saved.provider_ref, provider });
    if (outcome === null) return;
    reason = outcome;
  }
  // 3. A pay-now link: an ordinary order waiting for the subscriber on the provider's page.
  await payLinkStep(deps, r, now, base, orderInput, reason);
}

interface RenewalOrderInput { userId: string; lineId: string; planId: string; locale: string; actor: { userId: string; role: string } }

async function payLinkStep(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, orderInput: RenewalOrderInput, reason: FailureReason): Promise<void> {
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
async function chargeCard(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, c: CardCharge): Promise<FailureReason | null> {
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
    if (error instanceof ProviderRejectedError) return 'card_failed';
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
    await payLinkSent(deps, r, now, base, c.orderId, charge.action.url, 'confirmation_required');
    return null;
  }
  return charge.status === 'requires_action' ? 'confirmation_required' : 'card_declined';
}

/**
 * Back to the card order of an earlier attempt that could not reach the provider, and to the card
 * it was sent to — even if the subscriber has made another card the default or deleted this one
 * since: the first charge may have gone through, and only the same request under the same key is
 * safe to repeat.
 */
async function retrySavedMethod(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, orderId: string): Promise<FailureReason | null> {
  const order = await getOrder(deps.db, null, orderId);
  if (order.status === 'paid' || order.status === 'provisioning' || order.status === 'completed') {
    await finish(deps.db, r.id, 'pending', now);
    await settleOne(deps, { ...r, order_id: orderId }, now);
    return null;
  }
  const charged = await chargedMethodOf(deps.db, r);
  const provider = charged === null ? null : deps.providers.byName(charged.provider);
  const paymentId = order.payment?.id;
  if (order.status !== 'awaiting_payment' || charged === null || provider === null || paymentId === undefined) {
    return 'card_failed';
  }
  return chargeCard(deps, r, now, base, { orderId, paymentId, savedMethodRef: charged.methodRef, provider });
}

/** The method the first attempt charged; renewals from before migration 0029 did not keep it: the default then. */
async function chargedMethodOf(q: Queryable, r: RenewalRow): Promise<{ provider: string; methodRef: string } | null> {
  if (r.charged_provider !== null && r.charged_method_ref !== null) return { provider: r.charged_provider, methodRef: r.charged_method_ref };
  const saved = await defaultSavedMethod(q, r.user_id);
  return saved === null ? null : { provider: saved.provider, methodRef: saved.provider_ref };
}

async function payLinkSent(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, orderId: string, url: string, reason: FailureReason): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await finish(tx, r.id, 'pay_link', now, { path: 'pay_link', orderId, detail: RENEWAL_FAILURE_REASONS[reason] });
    await notify(tx, {
      now, userId: r.user_id, kind: 'renewal_failed', lineId: r.line_id, orderId, dedupeKey: `renewal_failed:${r.id}`,
      data: { ...base, ...failureData(reason), payUrl: url, amount: moneyData(Number(r.amount_minor), r.currency) },
    });
  });
}

async function failWith(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, status: RenewalStatus, why: Failure): Promise<void> {
  const data = { ...base, ...failureData(why) };
  await deps.db.transaction(async (tx) => {
    await finish(tx, r.id, status, now, { detail: data.reason });
    await notify(tx, { now, userId: r.user_id, kind: 'renewal_failed', lineId: r.line_id, dedupeKey: `renewal_failed:${r.id}`, data });
  });
}

async function failOnRefusal(deps: RenewalDeps, r: RenewalRow, now: Date, base: Record<string, string>, error: unknown): Promise<void> {
  if (!(error instanceof DomainError)) throw error;
  await failWith(deps, r, now, base, 'failed', { refused: error.message.slice(0, 300) });
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
      const expiresAt = (await autoRenewStateOf(tx, r.line_id))?.expiresAt;
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
  await payLinkStep(deps, r, now, base, orderInput, 'card_declined');
  return true;
}

async function lineLabel(q: Queryable, lineId: string): Promise<Record<string, string>> {
  const line = await autoRenewStateOf(q, lineId);
  return { msisdn: line?.msisdn ?? '', nickname: line?.nickname ?? '' };
}

/** Whether a renewal exists for this line and period (tests and the calendar). */
export async function renewalsOfLine(q: Queryable, lineId: string): Promise<Array<{ id: string; periodEnd: string; status: string; path: string | null; orderId: string | null }>> {
  const { rows } = await q.query<{ id: string; period_end: Date; status: string; path: string | null; order_id: string | null }>(
    'SELECT id, period_end, status, path, order_id FROM renewals WHERE line_id = $1 ORDER BY period_end', [lineId],
  );
  return rows.map((r) => ({ id: r.id, periodEnd: new Date(r.period_end).toISOString(), status: r.status, path: r.path, orderId: r.order_id }));
}
