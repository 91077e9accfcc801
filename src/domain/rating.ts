// Rating: what one usage record costs a line, exactly as SPEC.md "Usage records" and "Buckets" say.
// Data is rated in whole kilobytes rounded up per record, voice per started minute per call, SMS
// per message. The rated quantity is drawn from the line's buckets soonest expiry first (bonus
// before paid at equal expiry), then the rest is charged to the wallet at the carrier's PAYG rate
// for the record's zone (the default zone when none or unknown), all or nothing; what neither
// covers is `unfunded`. Pure: the caller loads the state, rates a batch in memory, and writes it.
import { DEFAULT_ZONE, type PaygRates } from './carrier-profile.ts';
import { invariant } from './invariant.ts';
import { BYTES_PER_MB, SECONDS_PER_MINUTE } from './plan-credit.ts';

export const USAGE_TYPES = ['data', 'voice', 'sms'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];

/** A stored record's outcome: fully paid (buckets and/or wallet), or partly paid by nothing. */
export const USAGE_STATUSES = ['rated', 'unfunded'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

export const BYTES_PER_KB = 1024;

/** Base units in one PAYG pricing unit: a MB of bytes, a minute of seconds, one message. */
const BASE_UNITS_PER_PRICED_UNIT: Record<UsageType, number> = { data: BYTES_PER_MB, voice: SECONDS_PER_MINUTE, sms: 1 };

/** The record's quantity rounded up to the rating increment, in base units (bytes, seconds, messages). */
export function ratedQuantity(type: UsageType, quantity: number): number {
  invariant(Number.isSafeInteger(quantity) && quantity >= 0, 'a usage quantity is a non-negative integer');
  if (type === 'data') return Math.ceil(quantity / BYTES_PER_KB) * BYTES_PER_KB;
  if (type === 'voice') return Math.ceil(quantity / SECONDS_PER_MINUTE) * SECONDS_PER_MINUTE;
  return quantity;
}

/** Price of `baseUnits` at the zone's rate, rounded up to the minor unit (never undercharged by rounding). */
export function paygPriceMinor(type: UsageType, baseUnits: number, rates: PaygRates): number {
  const rate = type === 'data' ? rates.dataPerMbMinor : type === 'voice' ? rates.voicePerMinuteMinor : rates.smsPerMessageMinor;
  const per = BASE_UNITS_PER_PRICED_UNIT[type];
  // BigInt: bytes × rate can pass 2^53 for large records.
  const numerator = BigInt(baseUnits) * BigInt(rate);
  const price = (numerator + BigInt(per) - 1n) / BigInt(per);
  return Number(price);
}

export function ratesForZone(paygRates: Readonly<Record<string, PaygRates>>, zone: string | null | undefined): PaygRates {
  const rates = (zone && Object.prototype.hasOwnProperty.call(paygRates, zone) ? paygRates[zone] : undefined) ?? paygRates[DEFAULT_ZONE];
  invariant(rates, 'a carrier profile has default PAYG rates');
  return rates;
}

export interface RatingBucket {
  readonly id: string;
  readonly unit: UsageType;
  /** Base units left; the rater lowers it as records draw. */
  remaining: number;
  readonly expiresAt: Date;
  readonly source: string;
}

/** Bucket order of use: soonest expiry first, bonus before paid at equal expiry, then id (stable). */
export function compareBucketsForUse(a: Pick<RatingBucket, 'expiresAt' | 'source' | 'id'>, b: Pick<RatingBucket, 'expiresAt' | 'source' | 'id'>): number {
  const byExpiry = a.expiresAt.getTime() - b.expiresAt.getTime();
  if (byExpiry !== 0) return byExpiry;
  const bonus = Number(b.source === 'bonus') - Number(a.source === 'bonus');
  if (bonus !== 0) return bonus;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface RatingRecord {
  readonly type: UsageType;
  readonly quantity: number;
  readonly startedAt: Date;
  readonly zone?: string | null;
}

export interface LineRatingState {
  /** The line's buckets, any order; the rater sorts and lowers them. */
  readonly buckets: RatingBucket[];
  /** The owner's wallet in the carrier's currency; the rater lowers it. */
  wallet: { balanceMinor: number };
  readonly paygRates: Readonly<Record<string, PaygRates>>;
}

export interface Rating {
  status: UsageStatus;
  /** Base units after rounding to the rating increment. */
  ratedUnits: number;
  draws: Array<{ bucketId: string; units: number }>;
  /** Base units charged to the wallet. */
  walletUnits: number;
  chargedMinor: number;
  /** Base units nothing paid for. */
  unfundedUnits: number;
}

/**
 * Rates one record against the line's state and applies it to that state (buckets and wallet
 * lowered). A bucket serves a record that started before the bucket expired. Records of one line
 * must be rated in the order they were accepted: the state carries from one to the next.
 */
export function rateRecord(state: LineRatingState, record: RatingRecord): Rating {
  const ratedUnits = ratedQuantity(record.type, record.quantity);
  let left = ratedUnits;
  const draws: Rating['draws'] = [];
  const usable = state.buckets
    .filter((b) => b.unit === record.type && b.remaining > 0 && b.expiresAt.getTime() > record.startedAt.getTime())
    .sort(compareBucketsForUse);
  for (const bucket of usable) {
    if (left === 0) break;
    const units = Math.min(left, bucket.remaining);
    bucket.remaining -= units;
    left -= units;
    draws.push({ bucketId: bucket.id, units });
  }
  if (left === 0) return { status: 'rated', ratedUnits, draws, walletUnits: 0, chargedMinor: 0, unfundedUnits: 0 };
  const price = paygPriceMinor(record.type, left, ratesForZone(state.paygRates, record.zone));
  if (price <= state.wallet.balanceMinor) {
    state.wallet.balanceMinor -= price;
    return { status: 'rated', ratedUnits, draws, walletUnits: left, chargedMinor: price, unfundedUnits: 0 };
  }
  return { status: 'unfunded', ratedUnits, draws, walletUnits: 0, chargedMinor: 0, unfundedUnits: left };
}
