// Prefixed, sortable-enough, opaque ids: `usr_…`, `line_…`, `ord_…`, `pay_…`, `jrn_…` — readable in logs.
import { randomBytes } from 'node:crypto';

export type IdPrefix =
  | 'usr' | 'tok' | 'line' | 'sim' | 'plan' | 'promo' | 'quote' | 'ord' | 'pay' | 'ref' | 'jrn' | 'acct'
  | 'bkt' | 'vch' | 'ntf' | 'use' | 'tkt';

/** Time-ordered prefix (ms since epoch, base36) + 64 random bits: unique and roughly creation-ordered. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}
