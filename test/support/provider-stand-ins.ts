// Stand-ins for the parts of a real payment adapter that would need the provider's network: the
// returned provider is the real adapter (signature checks, event mapping, lookups) with only the
// named methods replaced, so every notification still goes through the real verification.
import type { PaymentProvider } from '../../src/adapters/payments/types.ts';

export function withReplaced(real: PaymentProvider, replaced: Partial<Pick<PaymentProvider, 'createPayment' | 'refund' | 'lookupPayment'>>): PaymentProvider {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in replaced) return (replaced as Record<string, unknown>)[prop];
      return Reflect.get(target, prop, receiver);
    },
  });
}
