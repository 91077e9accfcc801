// Owns the carrier profile: the per-carrier rules a line lives by — validity after a recharge,
// grace and suspension periods, the keep-alive rule, and pay-as-you-go rates per zone. The
// lifecycle (lifecycle.ts) and rating read it; nothing here does I/O.
import { invariant } from './invariant.ts';
import { isKnownCurrency } from './money.ts';
import { fail, ok, type Result } from './result.ts';

export const KEEP_ALIVE_RULES = ['recharge', 'activity'] as const;
type KeepAliveRule = (typeof KEEP_ALIVE_RULES)[number];

export interface PaygRates {
  readonly dataPerMbMinor: number;
  readonly voicePerMinuteMinor: number;
  readonly smsPerMessageMinor: number;
}

export interface CarrierProfile {
  readonly code: string;
  readonly name: string;
  /** ISO 4217; the currency of the PAYG rates and of wallets on this carrier. */
  readonly currency: string;
  /** Validity a recharge grants when it grants any (plans, or top-ups if `topupGrantsValidity`). */
  readonly validityDays: number;
  /** Days after the line lapses during which it still works in a limited way; 0 = none. */
  readonly graceDays: number;
  /** Days the line stays suspended (number kept) before it is recycled; 0 = recycled at once. */
  readonly suspendDays: number;
  /**
   * `recharge`: a recharge (plan purchase or wallet top-up) at least every `everyDays`;
   * `activity`: any chargeable activity (call, SMS, data, purchase) at least every `everyDays`.
   */
  readonly keepAlive: { readonly rule: KeepAliveRule; readonly everyDays: number };
  /** Whether a wallet top-up alone extends the line's validity (SPEC: only if the carrier says so). */
  readonly topupGrantsValidity: boolean;
  /** Zone → rates; the `default` zone is always present and used for unknown zones. */
  readonly paygRates: Readonly<Record<string, PaygRates>>;
}

export const DEFAULT_ZONE = 'default';
/** Ten years: longer periods are typos (days entered as hours, minutes…), not carrier rules. */
const PROFILE_DAYS_MAX = 3650;
const PROFILE_ZONES_MAX = 100;
/** One unit rate above 1,000,000 minor units is a typo, not a tariff. */
const PAYG_RATE_MINOR_MAX = 1_000_000;

const RATE_FIELDS = ['dataPerMbMinor', 'voicePerMinuteMinor', 'smsPerMessageMinor'] as const;
const CODE_SHAPE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ZONE_SHAPE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Checks every field and reports all problems at once (operators fix profiles in one go). */
export function validateCarrierProfile(profile: CarrierProfile): Result<CarrierProfile, 'invalid_carrier_profile'> {
  const problems: string[] = [];
  if (!CODE_SHAPE.test(profile.code)) problems.push('code must be lowercase letters, digits, - or _ (max 64)');
  if (profile.name.trim() === '' || profile.name.length > 200) problems.push('name must be 1 to 200 characters');
  if (!isKnownCurrency(profile.currency)) problems.push(`currency ${profile.currency} is not supported`);
  checkDays(problems, 'validityDays', profile.validityDays, 1);
  checkDays(problems, 'graceDays', profile.graceDays, 0);
  checkDays(problems, 'suspendDays', profile.suspendDays, 0);
  if (profile.keepAlive.rule !== 'recharge' && profile.keepAlive.rule !== 'activity') {
    problems.push('keepAlive.rule must be recharge or activity');
  }
  checkDays(problems, 'keepAlive.everyDays', profile.keepAlive.everyDays, 1);
  checkRates(problems, profile.paygRates);
  if (problems.length > 0) return fail('invalid_carrier_profile', problems.join('; '));
  return ok(profile);
}

function checkDays(problems: string[], field: string, days: number, minDays: number): void {
  if (!Number.isInteger(days) || days < minDays || days > PROFILE_DAYS_MAX) {
    problems.push(`${field} must be an integer from ${minDays} to ${PROFILE_DAYS_MAX}`);
  }
}

function checkRates(problems: string[], paygRates: Readonly<Record<string, PaygRates>>): void {
  const zones = Object.keys(paygRates);
  if (!Object.prototype.hasOwnProperty.call(paygRates, DEFAULT_ZONE)) problems.push('paygRates must have a default zone');
  if (zones.length > PROFILE_ZONES_MAX) problems.push(`paygRates may have at most ${PROFILE_ZONES_MAX} zones`);
  for (const zone of zones.slice(0, PROFILE_ZONES_MAX)) {
    if (!ZONE_SHAPE.test(zone)) problems.push(`zone ${zone} must be lowercase letters, digits, - or _`);
    const rates = paygRates[zone];
    if (rates === undefined) continue;
    for (const field of RATE_FIELDS) {
      const value = rates[field];
      // Zero is a real tariff (free SMS); negative or fractional minor units never are.
      if (!Number.isSafeInteger(value) || value < 0 || value > PAYG_RATE_MINOR_MAX) {
        problems.push(`paygRates.${zone}.${field} must be an integer from 0 to ${PAYG_RATE_MINOR_MAX}`);
      }
    }
  }
}

/** The rates for a zone, falling back to `default` for zones the carrier does not list. */
export function paygRatesFor(profile: CarrierProfile, zone: string): PaygRates {
  const rates = Object.prototype.hasOwnProperty.call(profile.paygRates, zone) ? profile.paygRates[zone] : undefined;
  const fallback = profile.paygRates[DEFAULT_ZONE];
  const chosen = rates ?? fallback;
  invariant(chosen !== undefined, `carrier ${profile.code} has no default PAYG rates`);
  return chosen;
}
