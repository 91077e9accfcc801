// The subscriber-facing shape of a line (API.md "line"), built from its row, its carrier profile,
// its live buckets and the owner's wallet. Status and deadlines are computed as of `now` with the
// pure lifecycle function, so the answer is right even before the lifecycle sweep has persisted a
// transition that just became due.
import type { z } from 'zod';
import { pickLocalized } from '../../domain/localized-text.ts';
import { advanceLifecycle, keepAliveAdvice } from '../../domain/lifecycle.ts';
import { toJson } from '../../domain/money.ts';
import { toWholeUnits, type BucketUnit } from '../../domain/plan-credit.ts';
import type { Queryable } from '../../db/types.ts';
import { walletBalance } from '../ledger/service.ts';
import type { bucketViewSchema, lineViewSchema, staffLineSummarySchema } from './schemas.ts';
import { getCarrier, getLineCreditState, lifecycleStateOf, type LineRow } from './service.ts';

export type BucketView = z.infer<typeof bucketViewSchema>;
export type LineView = z.infer<typeof lineViewSchema>;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

const localName = (name: Record<string, string> | null, locale: string): string => (name === null ? '' : pickLocalized(name, locale));

/**
 * Buckets shown: every unexpired one, including used-up ones (remaining 0) so the portal can show
 * "used 10 of 10 GB" until the bucket expires; expired buckets are history, not balance. Balances
 * sum the exact base units first and round down once (summing rounded buckets would under-report).
 */
export async function lineView(db: Queryable, row: LineRow, now: Date, locale: string): Promise<LineView> {
  const carrier = await getCarrier(db, row.carrier_code);
  const credit = await getLineCreditState(db, row.id, now);
  const wallet = await walletBalance(db, row.user_id, row.carrier_currency);
  const state = lifecycleStateOf(row);
  const { state: current } = advanceLifecycle(state, carrier, [], now);
  const advice = keepAliveAdvice(state, carrier, now);
  const sumOf = (unit: BucketUnit): number =>
    toWholeUnits(unit, credit.buckets.filter((b) => b.unit === unit).reduce((total, b) => total + b.remaining, 0));
  const cap = row.auto_renew_monthly_cap_minor !== null && row.auto_renew_cap_currency !== null
    ? { amount: row.auto_renew_monthly_cap_minor, currency: row.auto_renew_cap_currency } : null;
  return {
    id: row.id, iccid: row.iccid, msisdn: row.msisdn, form: row.form, nickname: row.nickname,
    status: current.status === 'inventory' ? row.status : current.status,
    carrier: row.carrier_code, carrierName: carrier.name, region: carrier.country,
    plan: row.plan_id === null ? null : { id: row.plan_id, name: localName(row.plan_name, locale) },
    expiresAt: iso(current.expiresAt), keepAliveBy: iso(advice.actionBy),
    safeUntil: iso(advice.safeUntil), keepAliveAction: advice.action, actionBy: iso(advice.actionBy),
    autoRenew: { enabled: row.auto_renew_enabled, planId: row.auto_renew_plan_id, monthlyCap: cap },
    balances: { wallet: toJson(wallet), dataMb: sumOf('data'), voiceMin: sumOf('voice'), sms: sumOf('sms') },
    buckets: credit.buckets.map((b) => ({
      unit: b.unit, remaining: toWholeUnits(b.unit, b.remaining), total: toWholeUnits(b.unit, b.total),
      expiresAt: b.expiresAt.toISOString(), source: b.source,
    })),
    operatorSuspended: row.operator_suspended, flagged: row.flagged, createdAt: row.created_at.toISOString(),
  };
}

/** The console's list row: no wallet or bucket reads, so a page of 500 stays one query. */
export type StaffLineSummary = z.infer<typeof staffLineSummarySchema>;

export function staffLineSummary(row: LineRow): StaffLineSummary {
  return {
    id: row.id, userId: row.user_id, iccid: row.iccid, msisdn: row.msisdn, form: row.form, carrier: row.carrier_code,
    status: row.status, operatorSuspended: row.operator_suspended, expiresAt: iso(row.expires_at),
    lapsesAt: row.status === 'active' ? iso(row.lifecycle_due_at) : null,
    plan: row.plan_id === null ? null : { id: row.plan_id, name: localName(row.plan_name, 'en') }, flagged: row.flagged,
    createdAt: row.created_at.toISOString(),
  };
}
