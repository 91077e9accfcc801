// Daily reconciliation (SPEC "Reconciliation"): compares simkeep's payments with the provider's
// books and the ledger with itself, repairs what can be repaired safely and reports the rest.
//  - captured at the provider, not here (a lost webhook) → repaired: the capture is applied through
//    the same idempotent settlement as a webhook (guarded UPDATE + journal key), so it cannot double;
//  - captured here, not at the provider → reported (money we believe we have but do not);
//  - amounts that differ → reported; ledger invariants (verifyLedger) → reported;
//  - paid orders whose provisioning job is dead without compensation → reported.
// The sandbox's books are read directly; real providers' settlement reports are not fetched yet
// (that needs their reporting APIs and network): their payments are counted as unchecked.
import type { Db, Queryable } from '../../db/types.ts';
import { money } from '../../domain/money.ts';
import type { Actor } from '../audit/service.ts';
import { verifyLedger } from '../ledger/service.ts';
import { capturePayment } from './settlement.ts';

/** Rows compared per check in one run: a bound on memory; the next run continues. */
export const RECONCILIATION_BATCH_MAX = 5_000;
export const RECONCILIATION_INTERVAL_HOURS = 24;
export const REPORTS_PAGE_MAX = 100;

const RECONCILIATION_ACTOR: Actor = { userId: null, role: 'reconciliation' };

export interface ReconciliationIssue {
  kind: 'captured_here_not_at_provider' | 'amount_mismatch' | 'ledger' | 'provisioning_dead' | 'repaired_missing_capture';
  paymentId?: string;
  orderId?: string;
  detail: string;
}

export interface ReconciliationReport {
  id: number;
  ranAt: string;
  checked: number;
  repaired: number;
  issues: ReconciliationIssue[];
}

interface SandboxPair {
  payment_id: string;
  order_id: string;
  captured: boolean;
  amount_minor: number;
  currency: string;
  sbx_status: string | null;
  sbx_amount_minor: number | null;
  sbx_currency: string | null;
}

async function compareSandbox(db: Db, now: Date, issues: ReconciliationIssue[]): Promise<{ checked: number; repaired: number }> {
  const { rows } = await db.query<SandboxPair>(
    `SELECT p.id AS payment_id, p.order_id, p.captured_at IS NOT NULL AS captured, p.amount_minor, p.currency,
            s.status AS sbx_status, s.amount_minor AS sbx_amount_minor, s.currency AS sbx_currency
       FROM payments p LEFT JOIN sandbox_payments s ON s.payment_id = p.id
      WHERE p.provider = 'sandbox' AND (p.captured_at IS NOT NULL OR s.status = 'succeeded')
      ORDER BY p.created_at DESC LIMIT $1`,
    [RECONCILIATION_BATCH_MAX],
  );
  let repaired = 0;
  for (const r of rows) {
    const ids = { paymentId: r.payment_id, orderId: r.order_id };
    if (r.sbx_amount_minor !== null && (r.sbx_amount_minor !== r.amount_minor || r.sbx_currency !== r.currency)) {
      issues.push({ kind: 'amount_mismatch', ...ids, detail: `provider ${r.sbx_amount_minor} ${r.sbx_currency}, here ${r.amount_minor} ${r.currency}` });
      continue;
    }
    if (r.captured && r.sbx_status !== 'succeeded') {
      issues.push({ kind: 'captured_here_not_at_provider', ...ids, detail: `provider status ${r.sbx_status ?? 'missing'}` });
    } else if (!r.captured && r.sbx_status === 'succeeded') {
      const outcome = await db.transaction((tx) =>
        capturePayment(tx, { paymentId: r.payment_id, amount: money(r.amount_minor, r.currency), provider: 'sandbox', now, actor: RECONCILIATION_ACTOR }),
      );
      if (outcome === 'captured' || outcome === 'late_capture_to_wallet') {
        repaired++;
        issues.push({ kind: 'repaired_missing_capture', ...ids, detail: `capture applied (${outcome})` });
      }
    }
  }
  return { checked: rows.length, repaired };
}

async function deadProvisioning(q: Queryable, issues: ReconciliationIssue[]): Promise<void> {
  const { rows } = await q.query<{ id: string; status: string }>(
    `SELECT o.id, o.status FROM orders o JOIN jobs j ON j.dedupe_key = 'provision:' || o.id
      WHERE j.status = 'dead' AND o.status IN ('paid', 'provisioning') LIMIT $1`,
    [RECONCILIATION_BATCH_MAX],
  );
  for (const r of rows) issues.push({ kind: 'provisioning_dead', orderId: r.id, detail: `order ${r.status} with a dead provisioning job` });
}

/** One run: compare, repair, store the report. Safe to run concurrently (repairs are idempotent). */
export async function runReconciliation(db: Db, now: Date): Promise<ReconciliationReport> {
  const issues: ReconciliationIssue[] = [];
  const sandbox = await compareSandbox(db, now, issues);
  await deadProvisioning(db, issues);
  for (const v of await verifyLedger(db)) issues.push({ kind: 'ledger', detail: `${v.kind} ${v.id}: ${v.detail}` });
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO reconciliation_reports (ran_at, checked, repaired, issues) VALUES ($1, $2, $3, $4) RETURNING id',
    [now, sandbox.checked, sandbox.repaired, JSON.stringify(issues)],
  );
  return { id: rows[0]?.id ?? 0, ranAt: now.toISOString(), checked: sandbox.checked, repaired: sandbox.repaired, issues };
}

/** Runs when the last report is a day old in application-clock time (the sandbox clock may jump). */
export async function reconcileIfDue(db: Db, now: Date): Promise<ReconciliationReport | null> {
  const { rows } = await db.query<{ ran_at: Date }>('SELECT ran_at FROM reconciliation_reports ORDER BY ran_at DESC LIMIT 1');
  const last = rows[0]?.ran_at;
  if (last && now.getTime() - last.getTime() < RECONCILIATION_INTERVAL_HOURS * 3_600_000) return null;
  return runReconciliation(db, now);
}

export async function listReconciliationReports(q: Queryable, limit: number, cursor?: number): Promise<{ items: ReconciliationReport[]; nextCursor: string | null }> {
  const bounded = Math.min(limit, REPORTS_PAGE_MAX);
  const { rows } = await q.query<{ id: number; ran_at: Date; checked: number; repaired: number; issues: ReconciliationIssue[] }>(
    'SELECT * FROM reconciliation_reports WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2',
    [cursor ?? null, bounded + 1],
  );
  const page = rows.slice(0, bounded);
  return {
    items: page.map((r) => ({ id: r.id, ranAt: r.ran_at.toISOString(), checked: r.checked, repaired: r.repaired, issues: r.issues })),
    nextCursor: rows.length > bounded ? String(page[page.length - 1]?.id) : null,
  };
}
