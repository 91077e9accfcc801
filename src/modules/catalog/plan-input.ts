// What an operator may define as a plan: every rule checked at once so the console shows all field
// errors together (422 `invalid_plan`). Pure: whether the carriers exist is the service's check.
import type { FieldError } from '../../domain/errors.ts';
import type { Plan } from './store.ts';
import { isKnownCurrency, type MoneyJson } from '../../domain/money.ts';
import type { ExpiryPolicy, PlanKind } from '../../domain/plan-credit.ts';
import { CREDIT_MAX_VALIDITY_DAYS } from '../../domain/plan-credit.ts';
import {
  BUNDLE_MAX_BLOCK_PRICE_MINOR, BUNDLE_MAX_DATA_MB, BUNDLE_MAX_SMS, BUNDLE_MAX_VOICE_MIN, PLAN_PRICE_MAX_MINOR, type Allowances,
} from '../../domain/pricing.ts';

export { PLAN_PRICE_MAX_MINOR } from '../../domain/pricing.ts';

export const PLAN_KINDS: readonly PlanKind[] = ['base', 'addon', 'topup', 'bundle'];
export const EXPIRY_POLICIES: readonly ExpiryPolicy[] = ['extend', 'stack', 'reset'];
export const PLAN_NAME_MAX_LENGTH = 120;
export const PLAN_DESCRIPTION_MAX_LENGTH = 2000;
export const PLAN_TEXT_MAX_LOCALES = 20;
export const PLAN_MAX_REGIONS = 250;
export const PLAN_MAX_CARRIERS = 100;

const CODE_PATTERN = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const REGION_PATTERN = /^[A-Z]{2}$/;
const LOCALE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const ALLOWANCE_MAX: Readonly<Record<keyof Allowances, number>> = {
  dataMb: BUNDLE_MAX_DATA_MB, voiceMin: BUNDLE_MAX_VOICE_MIN, sms: BUNDLE_MAX_SMS,
};

export interface BundleModuleJson {
  unit: 'data' | 'voice' | 'sms';
  blockSize: number;
  blockPrice: MoneyJson;
}

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

const isIntegerIn = (v: number, min: number, max: number): boolean => Number.isSafeInteger(v) && v >= min && v <= max;

function textErrors(path: string, text: Record<string, string>, maxLength: number, required: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (required && (typeof text.en !== 'string' || text.en.trim() === '')) errors.push({ path: `${path}.en`, message: 'is required' });
  const entries = Object.entries(text);
  if (entries.length > PLAN_TEXT_MAX_LOCALES) errors.push({ path, message: `at most ${PLAN_TEXT_MAX_LOCALES} locales` });
  for (const [locale, value] of entries.slice(0, PLAN_TEXT_MAX_LOCALES)) {
    if (!LOCALE_PATTERN.test(locale)) errors.push({ path: `${path}.${locale}`, message: 'is not a locale tag' });
    else if (value.trim() === '' || value.length > maxLength) errors.push({ path: `${path}.${locale}`, message: `must be 1..${maxLength} characters` });
  }
  return errors;
}

function moneyErrors(path: string, m: MoneyJson): FieldError[] {
  const errors: FieldError[] = [];
  if (!isIntegerIn(m.amount, 1, PLAN_PRICE_MAX_MINOR)) {
    errors.push({ path: `${path}.amount`, message: `must be a positive integer of minor units (at most ${PLAN_PRICE_MAX_MINOR})` });
  }
  if (!isKnownCurrency(m.currency)) errors.push({ path: `${path}.currency`, message: 'is not a supported ISO 4217 currency' });
  return errors;
}

function listErrors(path: string, items: readonly string[] | null | undefined, pattern: RegExp, max: number, what: string): FieldError[] {
  if (items === null || items === undefined) return [];
  if (items.length === 0) return [{ path, message: 'must not be empty' }];
  if (items.length > max) return [{ path, message: `at most ${max}` }];
  return items.flatMap((item, i) => (pattern.test(item) ? [] : [{ path: `${path}.${i}`, message: `is not ${what}` }]));
}

function allowanceErrors(kind: string, a: Allowances): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of ['dataMb', 'voiceMin', 'sms'] as const) {
    if (!isIntegerIn(a[field], 0, ALLOWANCE_MAX[field])) {
      errors.push({ path: `allowances.${field}`, message: `must be a whole number 0..${ALLOWANCE_MAX[field]}` });
    }
  }
  const total = a.dataMb + a.voiceMin + a.sms;
  if (kind === 'topup' && total !== 0) errors.push({ path: 'allowances', message: 'a top-up grants wallet credit only: allowances must be 0' });
  if (kind === 'bundle' && total !== 0) errors.push({ path: 'allowances', message: 'a bundle\'s allowances are chosen per purchase: send 0' });
  if (kind === 'addon' && total === 0) errors.push({ path: 'allowances', message: 'an add-on grants at least one allowance' });
  return errors;
}

function bundleErrors(modules: readonly BundleModuleJson[]): FieldError[] {
  if (modules.length === 0) return [{ path: 'bundleModules', message: 'a bundle needs at least one module' }];
  const errors: FieldError[] = [];
  const units = new Set<string>();
  const currencies = new Set(modules.map((m) => m.blockPrice.currency));
  modules.forEach((m, i) => {
    if (units.has(m.unit)) errors.push({ path: `bundleModules.${i}.unit`, message: 'one module per unit' });
    units.add(m.unit);
    if (!isIntegerIn(m.blockSize, 1, ALLOWANCE_MAX[m.unit === 'data' ? 'dataMb' : m.unit === 'voice' ? 'voiceMin' : 'sms'])) {
      errors.push({ path: `bundleModules.${i}.blockSize`, message: 'must be a positive whole number' });
    }
    if (!isIntegerIn(m.blockPrice.amount, 1, BUNDLE_MAX_BLOCK_PRICE_MINOR)) {
      errors.push({ path: `bundleModules.${i}.blockPrice.amount`, message: 'must be a positive integer of minor units' });
    }
    if (!isKnownCurrency(m.blockPrice.currency)) errors.push({ path: `bundleModules.${i}.blockPrice.currency`, message: 'is not a supported currency' });
  });
  if (currencies.size > 1) errors.push({ path: 'bundleModules', message: 'every module is priced in the same currency' });
  return errors;
}

function kindErrors(input: PlanInput, kind: PlanKind): FieldError[] {
  const errors: FieldError[] = [];
  const minValidity = kind === 'topup' ? 0 : 1;
  if (!isIntegerIn(input.validityDays, minValidity, CREDIT_MAX_VALIDITY_DAYS)) {
    errors.push({ path: 'validityDays', message: `must be a whole number ${minValidity}..${CREDIT_MAX_VALIDITY_DAYS}` });
  }
  errors.push(...allowanceErrors(kind, input.allowances));
  if (kind === 'bundle') {
    if (input.price !== undefined) errors.push({ path: 'price', message: 'a bundle is priced by its modules: omit price' });
    if (!input.bundleModules) errors.push({ path: 'bundleModules', message: 'is required for a bundle' });
    else errors.push(...bundleErrors(input.bundleModules));
    // A renewal could not know which modules to buy again.
    if (input.autoRenewable) errors.push({ path: 'autoRenewable', message: 'a custom bundle cannot auto-renew' });
  } else {
    if (input.price === undefined) errors.push({ path: 'price', message: 'is required' });
    else errors.push(...moneyErrors('price', input.price));
    if (input.bundleModules) errors.push({ path: 'bundleModules', message: 'only a bundle has modules' });
  }
  return errors;
}

export function validatePlanInput(input: PlanInput): PlanValidation {
  const errors: FieldError[] = [];
  if (!CODE_PATTERN.test(input.code)) errors.push({ path: 'code', message: 'must be 2..64 of a-z, 0-9, ".", "_", "-"' });
  errors.push(...textErrors('name', input.name, PLAN_NAME_MAX_LENGTH, true));
  errors.push(...textErrors('description', input.description ?? {}, PLAN_DESCRIPTION_MAX_LENGTH, false));
  errors.push(...listErrors('carriers', input.carriers, /^[a-z0-9][a-z0-9_-]{0,63}$/, PLAN_MAX_CARRIERS, 'a carrier code'));
  errors.push(...listErrors('regions', input.regions, REGION_PATTERN, PLAN_MAX_REGIONS, 'an ISO 3166 alpha-2 region'));
  const expiryPolicy = input.expiryPolicy ?? 'extend';
  if (!(EXPIRY_POLICIES as readonly string[]).includes(expiryPolicy)) {
    errors.push({ path: 'expiryPolicy', message: `must be one of ${EXPIRY_POLICIES.join(', ')}` });
  }
  const kind = (PLAN_KINDS as readonly string[]).includes(input.kind) ? (input.kind as PlanKind) : null;
  if (kind === null) errors.push({ path: 'kind', message: `must be one of ${PLAN_KINDS.join(', ')}` });
  else errors.push(...kindErrors(input, kind));
  if (errors.length > 0 || kind === null) return { ok: false, errors };

  const bundleModules = kind === 'bundle' && input.bundleModules
    ? input.bundleModules.map((m) => ({ unit: m.unit, blockSize: m.blockSize, blockPriceMinor: m.blockPrice.amount }))
    : null;
  const currency = kind === 'bundle' ? (input.bundleModules?.[0]?.blockPrice.currency ?? '') : (input.price?.currency ?? '');
  return {
    ok: true,
    value: {
      code: input.code,
      name: { ...input.name },
      description: { ...(input.description ?? {}) },
      kind,
      carriers: input.carriers ? [...new Set(input.carriers)] : null,
      regions: [...new Set(input.regions)],
      priceMinor: kind === 'bundle' ? null : (input.price?.amount ?? null),
      currency,
      validityDays: input.validityDays,
      allowances: { ...input.allowances },
      autoRenewable: input.autoRenewable,
      expiryPolicy: expiryPolicy as ExpiryPolicy,
      bundleModules,
      active: input.active ?? true,
    },
  };
}
