// The operator's plans: create, edit (a PATCH merged onto the stored plan and validated whole),
// list. Every change is audited with its before and after in the change's own transaction; a plan
// code is unique (409 plan_code_taken).
import { clampPageLimit, keysetPage, type Page } from '../../db/keyset-page.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/types.ts';
import { DomainError, conflict, notFound, validation, type FieldError } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { listCarrierCodes } from '../lines/service.ts';
import { catalogPlanView, type PromotionScope } from './catalog-list.ts';
import { fieldChanges, mergePatch } from './changes.ts';
import { bundleModulesJson } from './listed-plan.ts';
import { validatePlanInput, type PlanDraft, type PlanInput } from './plan-input.ts';
import { findCandidatePromotions, findLiveAmountOffForPlan, findPlan, listPlanRows, type Plan } from './store.ts';
import type { PlanView } from './schemas.ts';
import { changeCatalog } from './cache.ts';

/** Staff views of plans, with the automatic promotions a new line would get on each. */
async function staffPlanViews(db: Queryable, now: Date, plans: readonly Plan[], locale: string): Promise<PlanView[]> {
  const promotions = (await findCandidatePromotions(db, null)).filter((p) => p.couponCode === null);
  const scope: PromotionScope = { now, isFirstRecharge: true, redemptions: new Map() };
  return plans.map((plan) => ({
    ...catalogPlanView(plan, promotions, scope, locale),
    kind: plan.kind, allowances: plan.allowances, bundleModules: bundleModulesJson(plan), active: plan.active, carriers: plan.carriers, names: plan.name, descriptions: plan.description, isDemo: plan.isDemo,
    createdAt: plan.createdAt.toISOString(), updatedAt: plan.updatedAt.toISOString(),
  }));
}

async function staffPlanView(db: Queryable, now: Date, plan: Plan, locale: string): Promise<PlanView> {
  const [view] = await staffPlanViews(db, now, [plan], locale);
  if (!view) throw new Error('plan view missing');
  return view;
}

// ---- Operator: plans ---------------------------------------------------------------------------

const invalidPlan = (errors: FieldError[]): DomainError => validation('invalid_plan', 'the plan is invalid', errors);

async function checkCarriers(db: Queryable, carriers: readonly string[] | null): Promise<void> {
  if (carriers === null) return;
  const known = new Set(await listCarrierCodes(db));
  const errors = carriers.flatMap((c, i) => (known.has(c) ? [] : [{ path: `carriers.${i}`, message: `no carrier "${c}"` }]));
  if (errors.length > 0) throw validation('unknown_carrier', `unknown carrier ${errors.map((e) => e.path).join(', ')}`, errors);
}

async function validPlanDraft(db: Queryable, input: PlanInput): Promise<PlanDraft> {
  const checked = validatePlanInput(input);
  if (!checked.ok) throw invalidPlan(checked.errors);
  await checkCarriers(db, checked.value.carriers);
  return checked.value;
}

const planCodeTaken = (): DomainError => conflict('plan_code_taken', 'another plan already has this code');

function draftParams(d: PlanDraft): unknown[] {
  return [
    d.code, JSON.stringify(d.name), JSON.stringify(d.description), d.kind, d.carriers, d.regions, d.priceMinor, d.currency,
    d.validityDays, d.allowances.dataMb, d.allowances.voiceMin, d.allowances.sms, d.autoRenewable, d.expiryPolicy, d.active,
    d.bundleModules === null ? null : JSON.stringify(d.bundleModules),
  ];
}

export async function createPlan(
  db: Db, now: Date, actor: Actor, input: PlanInput, options: { isDemo?: boolean; id?: string; locale?: string } = {},
): Promise<PlanView> {
  const draft = await validPlanDraft(db, input);
  try {
    const plan = await changeCatalog(db, async (tx) => {
      const id = options.id ?? newId('plan');
      await tx.query(
        `INSERT INTO plans (code, name, description, kind, carriers, regions, price_minor, currency, validity_days, data_mb, voice_min,
                            sms, auto_renewable, expiry_policy, active, bundle_modules, id, is_demo, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)`,
        [...draftParams(draft), id, options.isDemo ?? false, now],
      );
      const plan = await findPlan(tx, id);
      if (!plan) throw new Error('inserted plan not found');
      await recordAudit(tx, actor, { action: 'plan.create', targetType: 'plan', targetId: id, at: now, details: { code: draft.code, kind: draft.kind } });
      return plan;
    });
    return await staffPlanView(db, now, plan, options.locale ?? 'en');
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw planCodeTaken();
    throw error;
  }
}

function planInputOf(plan: Plan): PlanInput {
  return {
    code: plan.code, name: plan.name, description: plan.description, kind: plan.kind, carriers: plan.carriers, regions: plan.regions,
    price: plan.priceMinor === null ? undefined : { amount: plan.priceMinor, currency: plan.currency },
    validityDays: plan.validityDays, allowances: plan.allowances, autoRenewable: plan.autoRenewable, expiryPolicy: plan.expiryPolicy,
    bundleModules: bundleModulesJson(plan), active: plan.active,
  };
}

/** What a plan.update audit entry compares and records (money as it is on the wire). */
function auditedPlanFields(p: PlanDraft): Record<string, unknown> {
  return {
    code: p.code, name: p.name, description: p.description, kind: p.kind, carriers: p.carriers, regions: p.regions,
    price: p.priceMinor === null ? null : { amount: p.priceMinor, currency: p.currency }, currency: p.currency,
    validityDays: p.validityDays, allowances: p.allowances, autoRenewable: p.autoRenewable, expiryPolicy: p.expiryPolicy,
    bundleModules: p.bundleModules, active: p.active,
  };
}

/**
 * A plan's currency may change only while no live amount_off promotion scoped to it is in another
 * currency: that promotion would silently stop applying (selectPromotions matches currencies).
 * The operator ends or re-scopes those first (409 currency_in_use names them). See ADR 0001.
 */
async function assertCurrencyFree(tx: Queryable, now: Date, planId: string, currency: string): Promise<void> {
  const blocking = await findLiveAmountOffForPlan(tx, now, planId, currency);
  if (blocking.length === 0) return;
  throw new DomainError('conflict', 'currency_in_use', `amount_off promotions in another currency apply to this plan: ${blocking.join(', ')}`, {
    promotionIds: blocking,
    errors: [{ path: 'price.currency', message: 'end or re-scope the amount_off promotions of this plan first' }],
  });
}

export async function updatePlan(
  db: Db, now: Date, actor: Actor, planId: string, patch: Partial<PlanInput>, locale = 'en',
): Promise<PlanView> {
  try {
    const plan = await changeCatalog(db, async (tx) => {
      const current = await findPlan(tx, planId, { lock: true });
      if (!current) throw notFound('plan_not_found', 'no such plan');
      const base = planInputOf(current);
      // Switching to a bundle drops the fixed price; switching away drops the modules.
      if (patch.kind === 'bundle' && patch.price === undefined) delete base.price;
      if (patch.kind !== undefined && patch.kind !== 'bundle' && patch.bundleModules === undefined) base.bundleModules = null;
      const draft = await validPlanDraft(tx, mergePatch(base, patch));
      const changes = fieldChanges(auditedPlanFields(current), auditedPlanFields(draft));
      // Nothing changes: no write, no audit entry, the plan as it is.
      if (changes.changed.length === 0) return current;
      if (draft.currency !== current.currency) await assertCurrencyFree(tx, now, planId, draft.currency);
      await tx.query(
        `UPDATE plans SET code = $1, name = $2, description = $3, kind = $4, carriers = $5, regions = $6, price_minor = $7, currency = $8,
                validity_days = $9, data_mb = $10, voice_min = $11, sms = $12, auto_renewable = $13, expiry_policy = $14, active = $15,
                bundle_modules = $16, updated_at = $18
          WHERE id = $17`,
        [...draftParams(draft), planId, now],
      );
      const plan = await findPlan(tx, planId);
      if (!plan) throw new Error('updated plan not found');
      await recordAudit(tx, actor, { action: 'plan.update', targetType: 'plan', targetId: planId, at: now, details: { ...changes, code: plan.code } });
      return plan;
    });
    return await staffPlanView(db, now, plan, locale);
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw planCodeTaken();
    throw error;
  }
}

export interface AdminPage {
  limit?: number;
  cursor?: string;
  active?: boolean;
}

export async function listPlansForStaff(
  db: Queryable, now: Date, page: AdminPage, locale: string,
): Promise<Page<PlanView>> {
  const limit = clampPageLimit(page.limit);
  const { items, nextCursor } = keysetPage(await listPlanRows(db, { limit: limit + 1, after: page.cursor ?? null, active: page.active ?? null }), limit, (p) => p.id);
  return { items: await staffPlanViews(db, now, items, locale), nextCursor };
}

/**
 * What the line's auto-renew setting needs to know of a plan: whether it may renew and its
 * currency; null when there is no such plan. Lines ask through this (composed in app.ts), so lines
 * never import the catalog, which imports lines.
 */
export async function autoRenewTerms(db: Queryable, planId: string): Promise<{ autoRenewable: boolean; currency: string } | null> {
  const plan = await findPlan(db, planId);
  return plan === null ? null : { autoRenewable: plan.autoRenewable, currency: plan.currency };
}
