// How the orders module applies what a payment provider reported (payments' webhook intake calls
// these in its transaction): the composition root hands this object to the intake, so payments
// never imports orders.
import type { PaymentOutcomes } from '../payments/service.ts';
import { confirmRefund } from './refunds.ts';
import { capturePayment, failPayment } from './settlement.ts';

export const ORDER_PAYMENT_OUTCOMES: PaymentOutcomes = {
  captured: capturePayment,
  failed: failPayment,
  refundConfirmed: confirmRefund,
};
