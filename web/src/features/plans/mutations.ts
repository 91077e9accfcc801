import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../lib/api';
import type { PaymentFlow } from '../../lib/payment-flow';
import { plansKeys, type PaymentMethod, type Purchase } from './queries';

export interface PlaceOrderInput {
  lineId: string;
  purchase: Purchase;
  quoteId: string;
  couponCode: string | null;
  paymentMethod: PaymentMethod;
  /** The channel for this browser (lib/payment-flow.ts); frozen with the attempt, so a retry asks the same. */
  paymentFlow: PaymentFlow | undefined;
  voucherCode: string | null;
  /** One per attempt: a retry after a lost answer sends the same key and gets the same order back. */
  idempotencyKey: string;
}

export function usePlaceOrder() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: PlaceOrderInput) => {
      const what = 'planId' in input.purchase ? { planId: input.purchase.planId } : { topupAmount: input.purchase.topup };
      return unwrap(api.POST('/api/v1/orders', {
        // Not in the OpenAPI document's parameters (the server reads it for every creating POST): a plain header.
        headers: { 'idempotency-key': input.idempotencyKey },
        body: {
          lineId: input.lineId, ...what, quoteId: input.quoteId, paymentMethod: input.paymentMethod,
          ...(input.couponCode ? { couponCode: input.couponCode } : {}),
          ...(input.paymentFlow ? { paymentFlow: input.paymentFlow } : {}),
          ...(input.paymentMethod === 'voucher' && input.voucherCode ? { voucherCode: input.voucherCode } : {}),
        },
      }));
    },
    // A used quote cannot hold a second order; the next checkout asks for a fresh one.
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...plansKeys.all, 'quote'] }),
  });
}

/** Hands the code WeChat sent back (with its state) to the server, which learns the payer's openid from it. */
export function useConfirmWechatPayer() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { code: string; state: string }) => unwrap(api.POST('/api/v1/payments/wechat/payer', { body: input })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [...plansKeys.all, 'wechat-payer'] }),
  });
}
