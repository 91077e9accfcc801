// What an operator may define as a plan, as zod rules: every rule checked at once so the console
// shows all field errors together (422 `invalid_plan`). The route's body schema only checks the
// shape (400); these check the values. Pure: whether the carriers exist is the service's check.
import { z } from 'zod';
import { fieldErrorsOf, type FieldError } from '../../domain/errors.ts';
import { localizedTextRule } from '../../domain/localized-text.ts';
import { isKnownCurrency, type MoneyJson } from '../../domain/money.ts';
import { CREDIT_MAX_VALIDITY_DAYS, EXPIRY_POLICIES, PLAN_KINDS } from '../../domain/plan-credit.ts';
import {
  BUNDLE_MAX_BLOCK_PRICE_MINOR, BUNDLE_MAX_DATA_MB, BUNDLE_MAX_SMS, BUNDLE_MAX_VOICE_MIN, PLAN_PRICE_MAX_MINOR, type Allowances,
} from '../../domain/pricing.ts';
import type { BundleModuleJson } from './schemas.ts';
import type { Plan } from './store.ts';

const PLAN_NAME_MAX_LENGTH = 120;
const PLAN_DESCRIPTION_MAX_LENGTH = 2000;
const PLAN_TEXT_MAX_LOCALES = 20;
const PLAN_MAX_REGIONS = 250;
const PLAN_MAX_CARRIERS = 100;

const CODE_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const REGION_PATTERN = /^[A-Z]{2}$/;
const CARRIER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The create body, or a PATCH merged onto the stored plan. */
export interface PlanInput {
  code: string;
  name: Record<string, string>;
  description?: Record<string, string>;
  kind: string;
  carriers?: string[] | null;
  regions: string[];
  price?: MoneyJson;
  validityDays: number;
  allowances: Allowances;
  autoRenewable: boolean;
  expiryPolicy?: string;
  bundleModules?: BundleModuleJson[] | null;
  active?: boolean;
}

/** A validated plan, ready to store: a stored plan without what the database assigns. */
export type PlanDraft = Omit<Plan, 'id' | 'isDemo' | 'createdAt' | 'updatedAt'>;

export type PlanValidation = { ok: true; value: PlanDraft } | { ok: false; errors: FieldError[] };

const wholeIn = (min: number, max: number, message: string): z.ZodNumber =>
  z.number().refine(Number.isSafeInteger, message).refine((v) => v >= min && v <= max, message);

const listOf = (pattern: RegExp, max: number, what: string): z.ZodArray<z.ZodString> =>
  z.array(z.string().regex(pattern, `is not ${what}`)).min(1, 'must not be empty').max(max, `at most ${max}`);

const priceRule = z.object({
  amount: wholeIn(1, PLAN_PRICE_MAX_MINOR, `must be a positive integer of minor units (at most ${PLAN_PRICE_MAX_MINOR})`),
  currency: z.string().refine(isKnownCurrency, 'is not a supported ISO 4217 currency'),
}, { error: (issue) => (issue.input === undefined ? 'is required' : undefined) });

const allowancesRule = z.object({
  dataMb: wholeIn(0, BUNDLE_MAX_DATA_MB, `must be a whole number 0..${BUNDLE_MAX_DATA_MB}`),
  voiceMin: wholeIn(0, BUNDLE_MAX_VOICE_MIN, `must be a whole number 0..${BUNDLE_MAX_VOICE_MIN}`),
  sms: wholeIn(0, BUNDLE_MAX_SMS, `must be a whole number 0..${BUNDLE_MAX_SMS}`),
});
const totalOf = (a: Allowances): number => a.dataMb + a.voiceMin + a.sms;

const validityRule = (minDays: number): z.ZodNumber =>
  wholeIn(minDays, CREDIT_MAX_VALIDITY_DAYS, `must be a whole number ${minDays}..${CREDIT_MAX_VALIDITY_DAYS}`);

const noModules = z.null({ error: 'only a bundle has modules' }).optional();

const blockPriceRule = z.object({
  amount: wholeIn(1, BUNDLE_MAX_BLOCK_PRICE_MINOR, 'must be a positive integer of minor units'),
  currency: z.string().refine(isKnownCurrency, 'is not a supported currency'),
});
const blockSize = (max: number): z.ZodNumber => wholeIn(1, max, 'must be a positive whole number');

/** A bundle's modules: at most one per unit, every block priced in one currency. */
const bundleModulesRule = z.array(z.discriminatedUnion('unit', [
  z.object({ unit: z.literal('data'), blockSize: blockSize(BUNDLE_MAX_DATA_MB), blockPrice: blockPriceRule }),
  z.object({ unit: z.literal('voice'), blockSize: blockSize(BUNDLE_MAX_VOICE_MIN), blockPrice: blockPriceRule }),
  z.object({ unit: z.literal('sms'), blockSize: blockSize(BUNDLE_MAX_SMS), blockPrice: blockPriceRule }),
])).min(1, 'a bundle needs at least one module').superRefine((modules, ctx) => {
  modules.forEach((m, i) => {
    if (modules.findIndex((other) => other.unit === m.unit) < i) ctx.addIssue({ code: 'custom', path: [i, 'unit'], message: 'one module per unit' });
  });
  if (new Set(modules.map((m) => m.blockPrice.currency)).size > 1) ctx.addIssue({ code: 'custom', message: 'every module is priced in the same currency' });
});

/** What each kind sells, and so what it must (and must not) define. */
const planKindRule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('base'), validityDays: validityRule(1), allowances: allowancesRule, price: priceRule, bundleModules: noModules, autoRenewable: z.boolean() }),
  z.object({
    kind: z.literal('addon'), validityDays: validityRule(1), price: priceRule, bundleModules: noModules, autoRenewable: z.boolean(),
    allowances: allowancesRule.refine((a) => totalOf(a) > 0, 'an add-on grants at least one allowance'),
  }),
  z.object({
    kind: z.literal('topup'), validityDays: validityRule(0), price: priceRule, bundleModules: noModules, autoRenewable: z.boolean(),
    allowances: allowancesRule.refine((a) => totalOf(a) === 0, 'a top-up grants wallet credit only: allowances must be 0'),
  }),
  z.object({
    kind: z.literal('bundle'), validityDays: validityRule(1),
    allowances: allowancesRule.refine((a) => totalOf(a) === 0, 'a bundle\'s allowances are chosen per purchase: send 0'),
    price: z.undefined({ error: 'a bundle is priced by its modules: omit price' }),
    bundleModules: bundleModulesRule.nullish().refine((m) => m !== null && m !== undefined, 'is required for a bundle'),
    // A renewal could not know which modules to buy again.
    autoRenewable: z.boolean().refine((v) => !v, 'a custom bundle cannot auto-renew'),
  }),
], { error: `must be one of ${PLAN_KINDS.join(', ')}` });

/** Everything but what depends on the kind. */
const planFieldsRule = z.object({
  code: z.string().regex(CODE_PATTERN, 'must be 2..64 of a-z, 0-9, ".", "_", "-"'),
  name: localizedTextRule({ maxLength: PLAN_NAME_MAX_LENGTH, maxLocales: PLAN_TEXT_MAX_LOCALES, required: true }),
  description: localizedTextRule({ maxLength: PLAN_DESCRIPTION_MAX_LENGTH, maxLocales: PLAN_TEXT_MAX_LOCALES, required: false }),
  carriers: listOf(CARRIER_PATTERN, PLAN_MAX_CARRIERS, 'a carrier code').nullable(),
  regions: listOf(REGION_PATTERN, PLAN_MAX_REGIONS, 'an ISO 3166 alpha-2 region'),
  expiryPolicy: z.enum(EXPIRY_POLICIES, { error: `must be one of ${EXPIRY_POLICIES.join(', ')}` }),
  active: z.boolean(),
});

export function validatePlanInput(input: PlanInput): PlanValidation {
  const fields = planFieldsRule.safeParse({
    code: input.code, name: input.name, description: input.description ?? {}, carriers: input.carriers ?? null, regions: input.regions,
    expiryPolicy: input.expiryPolicy ?? 'extend', active: input.active ?? true,
  });
  const kind = planKindRule.safeParse({
    kind: input.kind, validityDays: input.validityDays, allowances: input.allowances, price: input.price,
    bundleModules: input.bundleModules, autoRenewable: input.autoRenewable,
  });
  if (!fields.success || !kind.success) return { ok: false, errors: fieldErrorsOf([fields, kind].flatMap((r) => r.error?.issues ?? [])) };
  const f = fields.data;
  const k = kind.data;
  const modules = k.kind === 'bundle' ? (k.bundleModules ?? []) : null;
  return {
    ok: true,
    value: {
      code: f.code, name: { ...f.name }, description: { ...f.description }, kind: k.kind,
      carriers: f.carriers === null ? null : [...new Set(f.carriers)], regions: [...new Set(f.regions)],
      priceMinor: k.kind === 'bundle' ? null : k.price.amount,
      currency: k.kind === 'bundle' ? (modules?.[0]?.blockPrice.currency ?? '') : k.price.currency,
      validityDays: k.validityDays, allowances: { ...k.allowances }, autoRenewable: k.autoRenewable, expiryPolicy: f.expiryPolicy,
      bundleModules: modules === null ? null : modules.map((m) => ({ unit: m.unit, blockSize: m.blockSize, blockPriceMinor: m.blockPrice.amount })),
      active: f.active,
    },
  };
}
