// The catalog's rows and how they read back: plans, promotions, redemption counts. Only this
// module's service uses it; other modules go through service.ts.
import type { Queryable } from '../../db/types.ts';
import type { ExpiryPolicy, PlanKind } from '../../domain/plan-credit.ts';
import type { Allowances, BundleModule } from '../../domain/pricing.ts';
import type { Promotion, PromotionKind, RedemptionCount } from '../../domain/promotion.ts';

/** Plans and promotions read in one listing; a catalog is far smaller (a limit, not a page). */
export const CATALOG_SCAN_MAX = 1_000;

export interface Plan {
  id: string;
  code: string;
  name: Record<string, string>;
  description: Record<string, string>;
  kind: PlanKind;
  carriers: string[] | null;
  regions: string[];
  /** null for a bundle: priced from its modules per purchase. */
  priceMinor: number | null;
  currency: string;
  validityDays: number;
  allowances: Allowances;
  autoRenewable: boolean;
  expiryPolicy: ExpiryPolicy;
  bundleModules: BundleModule[] | null;
  active: boolean;
  isDemo: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface PlanRow {
  id: string;
  code: string;
  name: Record<string, string>;
  description: Record<string, string>;
  kind: PlanKind;
  carriers: string[] | null;
  regions: string[];
  price_minor: number | null;
  currency: string;
  validity_days: number;
  data_mb: number;
  voice_min: number;
  sms: number;
  auto_renewable: boolean;
  expiry_policy: ExpiryPolicy;
  bundle_modules: BundleModule[] | null;
  active: boolean;
  is_demo: boolean;
  created_at: Date;
  updated_at: Date;
}

export function toPlan(r: PlanRow): Plan {
  return {
    id: r.id, code: r.code, name: r.name, description: r.description, kind: r.kind, carriers: r.carriers, regions: r.regions,
    priceMinor: r.price_minor === null ? null : Number(r.price_minor), currency: r.currency, validityDays: r.validity_days,
    allowances: { dataMb: r.data_mb, voiceMin: r.voice_min, sms: r.sms }, autoRenewable: r.auto_renewable,
    expiryPolicy: r.expiry_policy, bundleModules: r.bundle_modules, active: r.active, isDemo: r.is_demo,
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export async function findPlan(db: Queryable, planId: string, options: { lock?: boolean } = {}): Promise<Plan | null> {
  const { rows } = await db.query<PlanRow>(`SELECT * FROM plans WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [planId]);
  const row = rows[0];
  return row ? toPlan(row) : null;
}

export async function findPlans(db: Queryable, planIds: readonly string[]): Promise<Plan[]> {
  if (planIds.length === 0) return [];
  const { rows } = await db.query<PlanRow>('SELECT * FROM plans WHERE id = ANY($1::text[])', [planIds]);
  return rows.map(toPlan);
}

/** Active plans a line of `carrierCode` may buy, covering `region` (either filter optional). */
export async function findActivePlans(db: Queryable, filter: { carrierCode: string | null; region: string | null }): Promise<Plan[]> {
  const { rows } = await db.query<PlanRow>(
    `SELECT * FROM plans
      WHERE active
        AND ($1::text IS NULL OR carriers IS NULL OR $1 = ANY(carriers))
        AND ($2::text IS NULL OR $2 = ANY(regions))
      ORDER BY kind, price_minor NULLS LAST, code LIMIT $3`,
    [filter.carrierCode, filter.region, CATALOG_SCAN_MAX],
  );
  return rows.map(toPlan);
}

export async function listPlanRows(db: Queryable, page: { limit: number; after: string | null; active: boolean | null }): Promise<Plan[]> {
  const { rows } = await db.query<PlanRow>(
    `SELECT * FROM plans WHERE ($1::text IS NULL OR id > $1) AND ($2::boolean IS NULL OR active = $2) ORDER BY id LIMIT $3`,
    [page.after, page.active, page.limit],
  );
  return rows.map(toPlan);
}

export interface StoredPromotion extends Promotion {
  readonly redemptionCount: number;
  readonly isDemo: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface PromotionRow {
  id: string;
  title: Record<string, string>;
  kind: PromotionKind;
  value: string | number;
  currency: string | null;
  coupon_code: string | null;
  plan_ids: string[] | null;
  starts_at: Date | null;
  ends_at: Date | null;
  max_redemptions: number | null;
  per_user_limit: number | null;
  active: boolean;
  is_demo: boolean;
  redemption_count: number;
  created_at: Date;
  updated_at: Date;
}

export function toPromotion(r: PromotionRow): StoredPromotion {
  return {
    id: r.id, title: r.title, kind: r.kind,
    // numeric comes back as text from node-postgres; values have at most 2 decimals, exact in a double.
    value: Number(r.value),
    couponCode: r.coupon_code, planIds: r.plan_ids, startsAt: r.starts_at, endsAt: r.ends_at,
    maxRedemptions: r.max_redemptions, perUserLimit: r.per_user_limit, active: r.active, currency: r.currency,
    redemptionCount: r.redemption_count, isDemo: r.is_demo, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export async function findPromotion(db: Queryable, id: string, options: { lock?: boolean } = {}): Promise<StoredPromotion | null> {
  const { rows } = await db.query<PromotionRow>(`SELECT * FROM promotions WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [id]);
  const row = rows[0];
  return row ? toPromotion(row) : null;
}

const CANDIDATE_PROMOTIONS = 'SELECT * FROM promotions WHERE active AND (coupon_code IS NULL OR coupon_code = $1) ORDER BY id LIMIT $2';

/** Every active automatic promotion, plus the active ones carrying `couponCode` (normalized). */
export async function findCandidatePromotions(db: Queryable, couponCode: string | null): Promise<StoredPromotion[]> {
  const { rows } = await db.query<PromotionRow>(CANDIDATE_PROMOTIONS, [couponCode, CATALOG_SCAN_MAX]);
  return rows.map(toPromotion);
}

/** A promotion row as to_jsonb writes it: timestamps as ISO text. */
type PromotionJson = Omit<PromotionRow, 'starts_at' | 'ends_at' | 'created_at' | 'updated_at'> & {
  starts_at: string | null;
  ends_at: string | null;
  created_at: string;
  updated_at: string;
};

const dateOrNull = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

/**
 * findPlan and findCandidatePromotions in one read (a purchase of a plan needs both): the plan, or
 * null when there is none, and the candidates — which are not read when there is no plan.
 */
export async function findPlanAndCandidatePromotions(
  db: Queryable, planId: string, couponCode: string | null,
): Promise<{ plan: Plan | null; promotions: StoredPromotion[] }> {
  const { rows } = await db.query<PlanRow & { candidate_promotions: PromotionJson[] }>(
    `SELECT p.*, (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.id), '[]'::jsonb) FROM (${CANDIDATE_PROMOTIONS}) x) AS candidate_promotions
       FROM plans p WHERE p.id = $3`,
    [couponCode, CATALOG_SCAN_MAX, planId],
  );
  const row = rows[0];
  if (!row) return { plan: null, promotions: [] };
  const promotions = row.candidate_promotions.map((j) => toPromotion({
    ...j, starts_at: dateOrNull(j.starts_at), ends_at: dateOrNull(j.ends_at), created_at: new Date(j.created_at), updated_at: new Date(j.updated_at),
  }));
  return { plan: toPlan(row), promotions };
}

/** Active, not ended amount_off promotions scoped to `planId` whose currency is not `currency`. */
export async function findLiveAmountOffForPlan(db: Queryable, now: Date, planId: string, currency: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM promotions
      WHERE active AND kind = 'amount_off' AND $1 = ANY(plan_ids) AND currency <> $2 AND (ends_at IS NULL OR ends_at > $3)
      ORDER BY id LIMIT $4`,
    [planId, currency, now, CATALOG_SCAN_MAX],
  );
  return rows.map((r) => r.id);
}

export async function listPromotionRows(db: Queryable, page: { limit: number; after: string | null; active: boolean | null }): Promise<StoredPromotion[]> {
  const { rows } = await db.query<PromotionRow>(
    `SELECT * FROM promotions WHERE ($1::text IS NULL OR id > $1) AND ($2::boolean IS NULL OR active = $2) ORDER BY id LIMIT $3`,
    [page.after, page.active, page.limit],
  );
  return rows.map(toPromotion);
}

/**
 * Redemptions per promotion: everyone's (the counter) and this user's reserved ones, read fresh for
 * the promotions with a limit — the only rules that read them (no read when none has one). The
 * counter in `promotions` may come from the catalog cache, which does not follow it.
 */
export async function redemptionCounts(db: Queryable, userId: string, promotions: readonly StoredPromotion[]): Promise<Map<string, RedemptionCount>> {
  const counts = new Map<string, RedemptionCount>(promotions.map((p) => [p.id, { total: p.redemptionCount, byUser: 0 }]));
  const limited = promotions.filter((p) => p.perUserLimit !== null || p.maxRedemptions !== null).map((p) => p.id);
  if (limited.length === 0) return counts;
  const { rows } = await db.query<{ id: string; total: number; by_user: number }>(
    `SELECT p.id, p.redemption_count AS total,
            (SELECT count(*)::int FROM promotion_redemptions r WHERE r.promotion_id = p.id AND r.user_id = $1 AND r.status = 'reserved') AS by_user
       FROM promotions p WHERE p.id = ANY($2::text[])`,
    [userId, limited],
  );
  for (const r of rows) counts.set(r.id, { total: r.total, byUser: r.by_user });
  return counts;
}
