// Prefixed, sortable-enough, opaque ids: `usr_…`, `line_…`, `ord_…`, `pay_…`, `jrn_…` — readable in logs.
import { randomBytes } from 'node:crypto';

export type IdPrefix =
  | 'usr' | 'tok' | 'line' | 'sim' | 'plan' | 'promo' | 'quote' | 'ord' | 'pay' | 'ref' | 'jrn' | 'acct'
  | 'bkt' | 'vch' | 'ntf' | 'use' | 'tkt';

let lastMs = 0;
let lastRandom = 0n;

/**
 * Time-ordered prefix (ms since epoch, base36) + 64 random bits: unique, and in creation order within
 * a process — two ids made in the same millisecond count up from the first one's random part (as a
 * monotonic ULID does), so rows ordered by (time, id) list in the order they were made.
 */
export function newId(prefix: IdPrefix): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    lastRandom = BigInt(`0x${randomBytes(8).toString('hex')}`) >> 1n; // 2^63 of headroom to count up within one millisecond
  } else {
    lastRandom += 1n;
  }
  return `${prefix}_${lastMs.toString(36).padStart(9, '0')}${lastRandom.toString(16).padStart(16, '0')}`;
}
