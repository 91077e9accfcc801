// The ledger accounts each money flow of an order uses — the posting scheme in one place.
// "A → B" below means A is debited (its balance lowered) and B credited (raised) by the amount.
//
//   flow                                   | from                         | to
//   ---------------------------------------|------------------------------|---------------------------
//   plan paid by card/paypal/alipay/wechat | clearing:{provider}          | revenue
//   top-up paid by a provider              | clearing:{provider}          | wallet:{user}
//   plan paid from the wallet              | wallet:{user}                | revenue
//   plan / top-up paid by a voucher        | voucher_liability            | revenue / wallet:{user}
//   voucher worth more than the order      | voucher_liability            | wallet:{user} (remainder)
//   first-recharge bonus credit            | promotions_expense           | wallet:{user}
//   capture for a closed (expired…) order  | clearing:{provider}          | wallet:{user}
//   refund of a plan to the provider       | revenue                      | clearing:{provider}
//   refund of a plan to the wallet         | revenue                      | wallet:{user}
//   refund of a top-up to the provider     | wallet:{user}                | clearing:{provider}
//   its share of the first-recharge bonus  | wallet:{user} (what is left) | promotions_expense
//
// A clearing account's negative balance is what the provider owes simkeep; voucher_liability's
// negative balance is the value of redeemed vouchers (vouchers are sold through outside channels,
// so issuing one posts nothing: money enters the ledger only when a voucher is redeemed).
import type { AccountRef } from '../ledger/service.ts';
import { clearingAccount, systemAccount, walletAccount } from '../ledger/service.ts';
import type { PaymentProviderName } from '../payments/service.ts';

/** Where a captured payment's money comes from. */
export function paymentSourceAccount(provider: PaymentProviderName, userId: string, currency: string): AccountRef {
  if (provider === 'wallet') return walletAccount(userId, currency);
  if (provider === 'voucher') return systemAccount('voucher_liability', currency);
  return clearingAccount(provider, currency);
}

/** Where an order's money goes once paid: revenue for a plan, the wallet for a top-up. */
export function orderDestinationAccount(kind: 'plan' | 'topup', userId: string, currency: string): AccountRef {
  return kind === 'plan' ? systemAccount('revenue', currency) : walletAccount(userId, currency);
}
