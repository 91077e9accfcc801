// Recharge vouchers: issued by operators in batches (the codes are shown once and stored only as
// HMAC-SHA256 under the server key), redeemed once as an order's payment. Issuing posts nothing;
// redeeming moves voucher_liability → revenue/wallet (see postings.ts). A redemption is one guarded
// UPDATE (status 'active' → 'redeemed') inside the order's transaction: two orders racing for one
// code cannot both win, and a rolled-back order leaves the voucher active.
import { randomInt } from 'node:crypto';
import type { Db, Queryable } from '../../db/types.ts';
import { validation } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { money, toJson, type Money } from '../../domain/money.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { keyedHash } from '../secrets/service.ts';
import { postJournal, systemAccount, walletAccount } from '../ledger/service.ts';
import type { IssuedVoucher } from './schemas.ts';

export const VOUCHER_BATCH_MAX = 1_000;
/** vouchers.status: a voucher is redeemed once, by one guarded UPDATE from `active`. */
export const VOUCHER_STATUSES = ['active', 'redeemed'] as const;
const VOUCHER_AMOUNT_MAX_MINOR = 100_000_000;
/** 16 symbols of Crockford's base32 (no I, L, O, U): 80 bits, read aloud without confusion. */
const VOUCHER_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const VOUCHER_CODE_LENGTH = 16;
const VOUCHER_GROUP_LENGTH = 4;
const VOUCHER_HASH_PURPOSE = 'simkeep/voucher/v1';

function generateVoucherCode(): string {
  let code = '';
  for (let i = 0; i < VOUCHER_CODE_LENGTH; i++) code += VOUCHER_ALPHABET[randomInt(VOUCHER_ALPHABET.length)];
  return (code.match(new RegExp(`.{${VOUCHER_GROUP_LENGTH}}`, 'g')) ?? []).join('-');
}

/** Case, spaces and dashes do not matter; the look-alikes O/I/L read as 0/1/1 (Crockford). */
function normalizeVoucherCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

const voucherHash = (secretKey: Buffer, code: string): string => keyedHash(secretKey, VOUCHER_HASH_PURPOSE, normalizeVoucherCode(code));


export async function issueVouchers(
  db: Db, secretKey: Buffer, input: { count: number; amount: Money; now: Date; actor: Actor },
): Promise<IssuedVoucher[]> {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > VOUCHER_BATCH_MAX) {
    throw validation('invalid_voucher_batch', `count must be 1..${VOUCHER_BATCH_MAX}`);
  }
  if (input.amount.amountMinor <= 0 || input.amount.amountMinor > VOUCHER_AMOUNT_MAX_MINOR) {
    throw validation('invalid_amount', `a voucher is worth 1..${VOUCHER_AMOUNT_MAX_MINOR} minor units`);
  }
  const issued = Array.from({ length: input.count }, () => ({ id: newId('vch'), code: generateVoucherCode() }));
  // One transaction: the batch exists completely or not at all (and its audit entry with it).
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO vouchers (id, code_hash, amount_minor, currency, created_by, created_at)
       SELECT v.id, v.hash, $3, $4, $5, $6 FROM unnest($1::text[], $2::text[]) AS v(id, hash)`,
      [issued.map((v) => v.id), issued.map((v) => voucherHash(secretKey, v.code)), input.amount.amountMinor, input.amount.currency,
        input.actor.userId, input.now],
    );
    await recordAudit(tx, input.actor, {
      action: 'voucher.issue', targetType: 'voucher_batch', targetId: issued[0]?.id ?? 'none', at: input.now,
      details: { count: input.count, amount: toJson(input.amount) },
    });
  });
  const amount = toJson(input.amount);
  return issued.map((v) => ({ ...v, amount }));
}

const invalidVoucher = (): Error => validation('invalid_voucher', 'the voucher code is unknown, already used or in another currency');

/**
 * Redeems `code` for an order worth `total` inside the order's transaction. A voucher worth more
 * than the order leaves the remainder in the customer's wallet; one worth less is refused
 * (422 voucher_insufficient) so an order is never half paid.
 */
export async function redeemVoucher(
  tx: Queryable,
  input: { secretKey: Buffer; code: string; orderId: string; userId: string; total: Money; now: Date; actor: Actor },
): Promise<{ voucherId: string }> {
  const { rows } = await tx.query<{ id: string; amount_minor: number; currency: string }>(
    `UPDATE vouchers SET status = 'redeemed', redeemed_order_id = $2, redeemed_at = $3
      WHERE code_hash = $1 AND status = 'active' RETURNING id, amount_minor, currency`,
    [voucherHash(input.secretKey, input.code), input.orderId, input.now],
  );
  const voucher = rows[0];
  // The whole order transaction rolls back on these throws: the voucher stays active.
  if (!voucher || voucher.currency !== input.total.currency) throw invalidVoucher();
  if (voucher.amount_minor < input.total.amountMinor) {
    throw validation('voucher_insufficient', `the voucher is worth ${voucher.amount_minor} minor units, less than the order's total`);
  }
  const remainderMinor = voucher.amount_minor - input.total.amountMinor;
  if (remainderMinor > 0) {
    await postJournal(tx, {
      idempotencyKey: `voucher:${voucher.id}:remainder`, kind: 'voucher_remainder', cause: { type: 'voucher', id: voucher.id },
      postedAt: input.now,
      lines: [
        { account: systemAccount('voucher_liability', voucher.currency), amountMinor: -remainderMinor },
        { account: walletAccount(input.userId, voucher.currency), amountMinor: remainderMinor },
      ],
    }, input.actor);
  }
  await recordAudit(tx, input.actor, {
    action: 'voucher.redeem', targetType: 'voucher', targetId: voucher.id, at: input.now,
    details: { orderId: input.orderId, amount: money(voucher.amount_minor, voucher.currency), remainderMinor },
  });
  return { voucherId: voucher.id };
}
