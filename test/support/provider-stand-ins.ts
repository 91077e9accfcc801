// Stand-ins for the parts of a real payment adapter that would need the provider's network: the
// returned provider is the real adapter (signature checks, event mapping, lookups) with only the
// named methods replaced, so every notification still goes through the real verification.
import type { CarrierAdapter, ProvisionRequest, ProvisionResult } from '../../src/adapters/carriers/types.ts';
import type { PaymentProvider, ProviderName } from '../../src/adapters/payments/types.ts';
import type { ProviderAdapters } from '../../src/modules/payments/registry.ts';

export function withReplaced(real: PaymentProvider, replaced: Partial<Pick<PaymentProvider, 'createPayment' | 'refund' | 'lookupPayment'>>): PaymentProvider {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in replaced) return (replaced as Record<string, unknown>)[prop];
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * The test app's payment adapters: the configured ones, each replaceable for a while by a stand-in.
 * Handed to createApp (`paymentProviders`), which keeps one proxy per configured adapter; the proxy
 * forwards to the stand-in while one is set, to the real adapter otherwise.
 */
export class ProviderSwitch {
  private readonly real = new Map<ProviderName, PaymentProvider>();
  private readonly standIns = new Map<ProviderName, PaymentProvider>();

  readonly adapt = (configured: Readonly<ProviderAdapters>): ProviderAdapters => {
    const out: ProviderAdapters = {};
    for (const [name, provider] of Object.entries(configured) as Array<[ProviderName, PaymentProvider]>) {
      this.real.set(name, provider);
      out[name] = new Proxy(provider, {
        get: (_target, prop) => {
          const current = this.standIns.get(name) ?? provider;
          const value: unknown = Reflect.get(current, prop, current);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
        },
      });
    }
    return out;
  };

  /** The configured adapter itself (never a stand-in); null when `name` is not configured. */
  byName(name: ProviderName): PaymentProvider | null {
    return this.real.get(name) ?? null;
  }

  /** Answers for the configured adapter `name` until restored. */
  override(name: ProviderName, standIn: PaymentProvider): void {
    if (!this.real.has(name)) throw new Error(`${name} is not configured in this test app`);
    this.standIns.set(name, standIn);
  }

  restore(name: ProviderName): void {
    this.standIns.delete(name);
  }
}

/** The test app's carrier: the simulated one, or a stand-in while one is set. */
export class CarrierSwitch implements CarrierAdapter {
  private standIn: CarrierAdapter | null = null;
  constructor(private readonly real: CarrierAdapter) {}
  get name(): string {
    return (this.standIn ?? this.real).name;
  }
  provision(request: ProvisionRequest): Promise<ProvisionResult> {
    return (this.standIn ?? this.real).provision(request);
  }
  use(standIn: CarrierAdapter | null): void {
    this.standIn = standIn;
  }
}
