// Daily reconciliation (SPEC "Reconciliation"): compares simkeep's payments with each provider's
// books (PaymentProvider.lookupPayment) and the ledger with itself, repairs what can be repaired
// safely and reports the rest.
//  - walks every external payment created in the last RECONCILIATION_WINDOW_DAYS, in id order and
//    bounded batches, for every provider whose adapter is configured (others are reported once);
//  - captured at the provider, not here (a lost webhook) → repaired: the capture is applied through
//    the same idempotent settlement as a webhook (guarded UPDATE + journal key), so it cannot double;
//  - captured here, not at the provider → reported (money we believe we have but do not);
//  - captured amounts that differ, refund totals that differ → reported;
//  - a provider that cannot be reached → `provider_unreachable` for that payment, never a crash;
//    after a few in a row the rest of that provider's payments are reported without calling it;
//  - amount mismatches recorded by the webhook intake (payment_events), refunds pending > 24 h,
//    ledger invariants (verifyLedger), dead provisioning → reported.
import { clampPageLimit, keysetPage, type Page } from '../../db/keyset-page.ts';
import { ProviderUnavailableError, type PaymentProvider, type ProviderPaymentState } from '../../adapters/payments/types.ts';
import type { Db, Queryable } from '../../db/types.ts';
import type { Money } from '../../domain/money.ts';
import type { Actor } from '../audit/service.ts';
import type { ReconciliationIssue, ReconciliationReport } from './schemas.ts';
import { verifyLedger } from '../ledger/service.ts';
import { externalPaymentsSince, paymentEventsWithOutcome, refundsPendingSince, type PaymentForReconciliation } from '../payments/service.ts';
import { capturePayment } from './settlement.ts';

/** How far back payments are compared: refunds and late captures happen within days, not months. */
export const RECONCILIATION_WINDOW_DAYS = 7;
/** Payments read per query: a bound on memory per step. */
export const RECONCILIATION_BATCH_SIZE = 200;
/** Payments compared in one run (network calls); beyond it the report says the run was truncated. */
const RECONCILIATION_PAYMENTS_MAX = 20_000;
/** Consecutive unreachable lookups after which the rest of that provider's payments are not called. */
export const RECONCILIATION_UNREACHABLE_STREAK_MAX = 3;
/** A provider refund still pending after this long is reported. */
const REFUND_PENDING_HOURS_MAX = 24;
/** Rows read per other check (events, refunds, provisioning) in one run. */
const RECONCILIATION_BATCH_MAX = 5_000;
const RECONCILIATION_INTERVAL_HOURS = 24;
const REPORTS_PAGE_MAX = 100;

const RECONCILIATION_ACTOR: Actor = { userId: null, role: 'reconciliation' };
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Webhook outcomes that mean the provider and simkeep disagree about an amount (webhooks.ts). */
const MISMATCH_OUTCOMES = ['amount_mismatch', 'refund_amount_mismatch', 'refund_not_pending:failed'];

/** Where reconciliation finds each provider's adapter (the payments registry). */
export interface ProviderDirectory {
  byName(name: string): PaymentProvider | null;
}

/** What a reconciliation run can find (or repair); each issue names one. */
export const RECONCILIATION_ISSUE_KINDS = [
  'captured_here_not_at_provider', 'amount_mismatch', 'refunded_mismatch', 'repaired_missing_capture',
  'provider_unreachable', 'provider_lookup_failed', 'provider_not_configured',
  'amount_mismatch_event', 'refund_pending_too_long', 'ledger', 'provisioning_dead', 'run_truncated',
] as const;

const fmt = (m: Money): string => `${m.amountMinor} ${m.currency}`;

type Verdict = { issue?: Omit<ReconciliationIssue, 'paymentId' | 'orderId'>; repairWith?: Money };

/** What one payment's two sides say; pure, so each rule reads on its own. */
function compareWithProvider(local: PaymentForReconciliation, remote: ProviderPaymentState | null): Verdict[] {
  if (remote === null) {
    return local.captured ? [{ issue: { kind: 'captured_here_not_at_provider', detail: 'the provider has no such payment' } }] : [];
  }
  if (remote.status === 'unknown') return [];
  const capturedThere = (remote.status === 'succeeded' || remote.status === 'refunded') ? remote.captured : null;
  const verdicts: Verdict[] = [];
  if (capturedThere !== null) {
    if (capturedThere.amountMinor !== local.amount_minor || capturedThere.currency !== local.currency) {
      return [{ issue: { kind: 'amount_mismatch', detail: `provider captured ${fmt(capturedThere)}, here ${local.amount_minor} ${local.currency}` } }];
    }
    if (!local.captured) verdicts.push({ repairWith: capturedThere });
  } else if (local.captured && (remote.status === 'pending' || remote.status === 'failed')) {
    return [{ issue: { kind: 'captured_here_not_at_provider', detail: `provider status ${remote.status}` } }];
  }
  const r = remote.refunded;
  const capturedHere = local.captured || verdicts.length > 0;
  if (r !== null && capturedHere) {
    const high = local.refunded_ok_minor + local.refunded_pending_minor;
    // In between is a refund still in flight here: neither side is wrong yet.
    if (r.currency !== local.currency || r.amountMinor < local.refunded_ok_minor || r.amountMinor > high) {
      const pending = local.refunded_pending_minor > 0 ? ` (+${local.refunded_pending_minor} pending)` : '';
      verdicts.push({ issue: { kind: 'refunded_mismatch', detail: `provider refunded ${fmt(r)}, here ${local.refunded_ok_minor} ${local.currency}${pending}` } });
    }
  }
  return verdicts;
}

interface PaymentsRun {
  db: Db;
  providers: ProviderDirectory;
  now: Date;
  issues: ReconciliationIssue[];
  actor: Actor;
  checked: number;
  repaired: number;
  unreachableStreak: Map<string, number>;
  notConfigured: Map<string, number>;
}

async function comparePayments(
  db: Db, providers: ProviderDirectory, now: Date, issues: ReconciliationIssue[], actor: Actor,
): Promise<{ checked: number; repaired: number }> {
  const run: PaymentsRun = { db, providers, now, issues, actor, checked: 0, repaired: 0, unreachableStreak: new Map(), notConfigured: new Map() };
  const since = new Date(now.getTime() - RECONCILIATION_WINDOW_DAYS * DAY_MS);
  const batchesMax = Math.ceil(RECONCILIATION_PAYMENTS_MAX / RECONCILIATION_BATCH_SIZE);
  let afterId = '';
  let more = true;
  for (let b = 0; b < batchesMax && more; b++) {
    const batch = await externalPaymentsSince(db, since, afterId, RECONCILIATION_BATCH_SIZE);
    for (const local of batch) await comparePayment(run, local);
    afterId = batch[batch.length - 1]?.id ?? afterId;
    more = batch.length === RECONCILIATION_BATCH_SIZE;
  }
  if (more && (await externalPaymentsSince(db, since, afterId, 1)).length > 0) {
    issues.push({ kind: 'run_truncated', detail: `stopped after ${RECONCILIATION_PAYMENTS_MAX} payments; the rest are compared on the next run` });
  }
  for (const [provider, count] of run.notConfigured) {
    issues.push({ kind: 'provider_not_configured', detail: `${count} ${provider} payment(s) not compared: no ${provider} adapter is configured` });
  }
  return { checked: run.checked, repaired: run.repaired };
}

async function comparePayment(run: PaymentsRun, local: PaymentForReconciliation): Promise<void> {
  const ids = { paymentId: local.id, orderId: local.order_id };
  const provider = run.providers.byName(local.provider);
  if (!provider || provider.name !== local.provider) {
    run.notConfigured.set(local.provider, (run.notConfigured.get(local.provider) ?? 0) + 1);
    return;
  }
  const streak = run.unreachableStreak.get(local.provider) ?? 0;
  if (streak >= RECONCILIATION_UNREACHABLE_STREAK_MAX) {
    run.issues.push({ kind: 'provider_unreachable', ...ids, detail: `${local.provider} not asked: unreachable for the previous payments of this run` });
    return;
  }
  let remote: ProviderPaymentState | null;
  try {
    remote = await provider.lookupPayment({ paymentId: local.id, providerRef: local.provider_ref, currency: local.currency });
  } catch (error) {
    const unreachable = error instanceof ProviderUnavailableError;
    if (unreachable) run.unreachableStreak.set(local.provider, streak + 1);
    const message = error instanceof Error ? error.message : String(error);
    run.issues.push({ kind: unreachable ? 'provider_unreachable' : 'provider_lookup_failed', ...ids, detail: message.slice(0, 200) });
    return;
  }
  run.unreachableStreak.set(local.provider, 0);
  run.checked++;
  for (const verdict of compareWithProvider(local, remote)) {
    if (verdict.issue) run.issues.push({ ...verdict.issue, ...ids });
    if (verdict.repairWith && (await repairCapture(run.db, local, verdict.repairWith, run.now, run.actor))) {
      run.repaired++;
      run.issues.push({ kind: 'repaired_missing_capture', ...ids, detail: "capture applied from the provider's books" });
    }
  }
}

/** The lost webhook's effect, through the same idempotent settlement (guarded UPDATE + journal key). */
async function repairCapture(db: Db, local: PaymentForReconciliation, amount: Money, now: Date, actor: Actor): Promise<boolean> {
  const outcome = await db.transaction((tx) =>
    capturePayment(tx, { paymentId: local.id, amount, provider: local.provider, now, actor }),
  );
  return outcome === 'captured' || outcome === 'late_capture_to_wallet';
}

async function mismatchEvents(q: Queryable, now: Date, issues: ReconciliationIssue[]): Promise<void> {
  const since = new Date(now.getTime() - RECONCILIATION_WINDOW_DAYS * DAY_MS);
  for (const r of await paymentEventsWithOutcome(q, MISMATCH_OUTCOMES, since, RECONCILIATION_BATCH_MAX)) {
    issues.push({
      kind: 'amount_mismatch_event',
      ...(r.payment_id ? { paymentId: r.payment_id } : {}),
      ...(r.order_id ? { orderId: r.order_id } : {}),
      detail: `${r.provider} event ${r.event_id} (${r.outcome}): ${JSON.stringify(r.summary).slice(0, 200)}`,
    });
  }
}

async function stalePendingRefunds(q: Queryable, now: Date, issues: ReconciliationIssue[]): Promise<void> {
  const before = new Date(now.getTime() - REFUND_PENDING_HOURS_MAX * HOUR_MS);
  for (const r of await refundsPendingSince(q, before, RECONCILIATION_BATCH_MAX)) {
    issues.push({
      kind: 'refund_pending_too_long', paymentId: r.payment_id, orderId: r.order_id, refundId: r.id,
      detail: `refund of ${r.amount_minor} ${r.currency} pending since ${r.created_at.toISOString()}`,
    });
  }
}

async function deadProvisioning(q: Queryable, issues: ReconciliationIssue[]): Promise<void> {
  const { rows } = await q.query<{ id: string; status: string }>(
    `SELECT o.id, o.status FROM orders o JOIN jobs j ON j.dedupe_key = 'provision:' || o.id
      WHERE j.status = 'dead' AND o.status IN ('paid', 'provisioning') LIMIT $1`,
    [RECONCILIATION_BATCH_MAX],
  );
  for (const r of rows) issues.push({ kind: 'provisioning_dead', orderId: r.id, detail: `order ${r.status} with a dead provisioning job` });
}

/**
 * One run: compare, repair, store the report. Safe to run concurrently (repairs are idempotent).
 * `actor` is who the repairs are booked to: the daily task, or the operator who asked for the run.
 */
export async function runReconciliation(
  db: Db, now: Date, providers: ProviderDirectory, actor: Actor = RECONCILIATION_ACTOR,
): Promise<ReconciliationReport> {
  const issues: ReconciliationIssue[] = [];
  const payments = await comparePayments(db, providers, now, issues, actor);
  await mismatchEvents(db, now, issues);
  await stalePendingRefunds(db, now, issues);
  await deadProvisioning(db, issues);
  for (const v of await verifyLedger(db)) issues.push({ kind: 'ledger', detail: `${v.kind} ${v.id}: ${v.detail}` });
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO reconciliation_reports (ran_at, checked, repaired, issues) VALUES ($1, $2, $3, $4) RETURNING id',
    [now, payments.checked, payments.repaired, JSON.stringify(issues)],
  );
  return { id: rows[0]?.id ?? 0, ranAt: now.toISOString(), checked: payments.checked, repaired: payments.repaired, issues };
}

/** Runs when the last report is a day old in application-clock time (the sandbox clock may jump). */
export async function reconcileIfDue(db: Db, now: Date, providers: ProviderDirectory): Promise<ReconciliationReport | null> {
  const { rows } = await db.query<{ ran_at: Date }>('SELECT ran_at FROM reconciliation_reports ORDER BY ran_at DESC LIMIT 1');
  const last = rows[0]?.ran_at;
  if (last && now.getTime() - last.getTime() < RECONCILIATION_INTERVAL_HOURS * HOUR_MS) return null;
  return runReconciliation(db, now, providers);
}

export async function listReconciliationReports(q: Queryable, limit: number, cursor?: number): Promise<Page<ReconciliationReport>> {
  const bounded = clampPageLimit(limit, REPORTS_PAGE_MAX);
  const { rows } = await q.query<{ id: number; ran_at: Date; checked: number; repaired: number; issues: ReconciliationIssue[] }>(
    'SELECT * FROM reconciliation_reports WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2',
    [cursor ?? null, bounded + 1],
  );
  const page = keysetPage(rows, bounded, (r) => r.id);
  return {
    items: page.items.map((r) => ({ id: r.id, ranAt: r.ran_at.toISOString(), checked: r.checked, repaired: r.repaired, issues: r.issues })),
    nextCursor: page.nextCursor,
  };
}
