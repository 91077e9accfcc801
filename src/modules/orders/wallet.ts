// The subscriber's wallet as the API shows it (GET /api/v1/wallet): the balance and the newest
// entries from the ledger, in the currency asked for, else their first line's, else USD.
import type { Queryable } from '../../db/types.ts';
import { isKnownCurrency, toJson } from '../../domain/money.ts';
import { validation } from '../../domain/errors.ts';
import { walletBalance, walletEntries } from '../ledger/service.ts';
import { listUserLineRows } from '../lines/service.ts';
import type { WalletView } from './schemas.ts';

export const WALLET_ENTRIES_SHOWN = 100;
const DEFAULT_WALLET_CURRENCY = 'USD';


export async function walletView(q: Queryable, userId: string, requested?: string): Promise<WalletView> {
  if (requested !== undefined && !isKnownCurrency(requested)) throw validation('unknown_currency', `unknown currency ${requested}`);
  const currency = requested ?? (await listUserLineRows(q, userId, { limit: 1 }))[0]?.carrier_currency ?? DEFAULT_WALLET_CURRENCY;
  const balance = await walletBalance(q, userId, currency);
  const entries = await walletEntries(q, userId, { currency, limit: WALLET_ENTRIES_SHOWN });
  return {
    balance: toJson(balance),
    entries: entries.map((e) => ({
      at: e.at.toISOString(), amount: toJson(e.amount), reason: e.reason,
      ...(e.causeType === 'order' ? { orderId: e.causeId } : {}),
    })),
  };
}
