// What the deadline calendar prices: the cheapest active plans that keep a line's number, at their
// listed price (promotions left out: they end, and a calendar entry lives for months).
import type { Queryable } from '../../db/types.ts';
import type { Money } from '../../domain/money.ts';
import { listedPrice } from './listed-plan.ts';
import { findActivePlans, findPlan } from './store.ts';

export interface KeepingPlan {
  planId: string;
  /** The plan's name in every language it has (the caller picks one). */
  name: Record<string, string>;
  price: Money;
}

export interface KeepingPlans {
  /** The cheapest base plan (validity and a recharge), bundles left out: they need a chosen size. */
  base: KeepingPlan | null;
  /** The cheapest top-up (a recharge; validity only where the carrier grants it). */
  topup: KeepingPlan | null;
}

/** The cheapest base plan and top-up a line of this carrier may buy, in the carrier's currency. */
export async function cheapestKeepingPlans(db: Queryable, line: { carrierCode: string; region: string; currency: string }): Promise<KeepingPlans> {
  const plans = (await findActivePlans(db, { carrierCode: line.carrierCode, region: line.region })).filter((p) => p.currency === line.currency);
  const cheapest = (kind: 'base' | 'topup'): KeepingPlan | null => {
    let best: KeepingPlan | null = null;
    for (const plan of plans) {
      if (plan.kind !== kind) continue;
      const price = listedPrice(plan);
      if (best === null || price.amountMinor < best.price.amountMinor) best = { planId: plan.id, name: plan.name, price };
    }
    return best;
  };
  return { base: cheapest('base'), topup: cheapest('topup') };
}

/** A plan with its listed price, or null when it is gone or inactive. */
export async function activeKeepingPlan(db: Queryable, planId: string): Promise<KeepingPlan | null> {
  const plan = await findPlan(db, planId);
  return plan === null || !plan.active ? null : { planId: plan.id, name: plan.name, price: listedPrice(plan) };
}
