// Catalog: plans, promotions, their redemptions and quotes. Owns `plans`, `promotions`,
// `promotion_redemptions`, `quotes` and `catalog_version` (cache.ts: what orders are priced with,
// kept per process, current within a second). Invariants: prices are positive integer minor units in a
// known currency, at most PLAN_PRICE_MAX_MINOR (a bundle's price is computed from its modules, never
// stored); every operator change is audited, with its before and after, in its own transaction; a
// quote is a promise — an order placed with it before it expires costs its total, priced from the
// plan snapshot taken at quote time; redemptions never exceed maxRedemptions or a user's
// perUserLimit, and a line's first-recharge bonus is granted once (redemptions.ts).
//
// This is the module's public file: other modules (and app.ts) import the catalog only from here.
// The use cases live by section: plans.ts and promotions.ts (operator), catalog-list.ts (the
// subscriber's catalog), pricing.ts (one purchase), quotes.ts (promises and orders placed on them),
// cache.ts (the plans and automatic promotions a process keeps).
export type { PlanSnapshot } from './listed-plan.ts';
export type { PricedPurchase } from './pricing.ts';
export { QUOTES_PER_USER_MAX, QUOTES_WINDOW_SECONDS, QUOTE_CLEANUP_BATCH_MAX, QUOTE_TTL_SECONDS, deleteExpiredQuotes, markQuoteUsed, priceForOrder } from './quotes.ts';
export { autoRenewTerms } from './plans.ts';
export { releasePromotions, reservePromotions } from './redemptions.ts';
export { activeKeepingPlan, cheapestKeepingPlans, type KeepingPlan, type KeepingPlans } from './keeping-plans.ts';
