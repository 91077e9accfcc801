// The provider registry: which adapter takes a payment method, and which one verifies a webhook.
// A real provider is used when its credentials are configured (API.md "Configuration"); without
// them, sandbox mode answers with the built-in sandbox provider; production without credentials
// refuses the method (422 payment_method_unavailable). Built once per app by the composition root
// (no network at start) and handed to the use cases that pay, refund and reconcile.
import type { Config } from '../../config.ts';
import { createConfiguredProviders, type PaymentProvidersConfig } from '../../adapters/payments/index.ts';
import type { PaymentProvider, ProviderName } from '../../adapters/payments/types.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Db } from '../../db/types.ts';
import type { Clock } from '../clock/service.ts';
import { SandboxProvider, sandboxWebhookKey } from './sandbox-provider.ts';

export const PAYMENT_METHODS = ['card', 'paypal', 'alipay', 'wechat_pay', 'wallet', 'voucher'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export type ExternalMethod = Exclude<PaymentMethod, 'wallet' | 'voucher'>;

/** The real provider behind each hosted payment method. */
const PROVIDER_OF_METHOD: Readonly<Record<ExternalMethod, ProviderName>> = {
  card: 'stripe', paypal: 'paypal', alipay: 'alipay', wechat_pay: 'wechat_pay',
};

export const WEBHOOK_PROVIDERS: readonly ProviderName[] = ['sandbox', 'stripe', 'alipay', 'wechat_pay', 'paypal'];

export function isExternalMethod(method: PaymentMethod): method is ExternalMethod {
  return method !== 'wallet' && method !== 'voucher';
}

/** Keys arrive as PEM text: loadConfig resolved (path, bare base64) and parsed them at start. */
export function providersConfig(config: Pick<Config, 'providers' | 'providerEndpoints'>): PaymentProvidersConfig {
  const p = config.providers;
  const at = config.providerEndpoints;
  return {
    ...(p.stripe ? { stripe: { secretKey: p.stripe.secretKey, webhookSecret: p.stripe.webhookSecret, apiBaseUrl: at.stripeApiBaseUrl } } : {}),
    ...(p.alipay ? { alipay: { appId: p.alipay.appId, privateKeyPem: p.alipay.privateKey, alipayPublicKeyPem: p.alipay.publicKey, gatewayUrl: at.alipayGatewayUrl } } : {}),
    ...(p.wechatPay
      ? {
          wechatPay: {
            mchId: p.wechatPay.mchId, apiV3Key: p.wechatPay.apiV3Key, privateKeyPem: p.wechatPay.privateKey,
            certSerial: p.wechatPay.certSerial, platformPublicKeyPem: p.wechatPay.platformPublicKey, baseUrl: at.wechatPayBaseUrl,
            ...(p.wechatPay.appId === null ? {} : { appId: p.wechatPay.appId }),
          },
        }
      : {}),
    ...(p.paypal ? { paypal: { clientId: p.paypal.clientId, clientSecret: p.paypal.clientSecret, webhookId: p.paypal.webhookId, baseUrl: at.paypalBaseUrl } } : {}),
  };
}

export class PaymentProviders {
  constructor(
    private readonly providers: Partial<Record<ProviderName, PaymentProvider>>,
    private readonly sandboxOn: boolean,
  ) {}

  /** The adapter that takes payments for `method` now. */
  forMethod(method: ExternalMethod): PaymentProvider {
    const real = this.providers[PROVIDER_OF_METHOD[method]];
    if (real) return real;
    const sandbox = this.sandboxOn ? this.providers.sandbox : undefined;
    if (sandbox) return sandbox;
    throw new DomainError('validation', 'payment_method_unavailable', `payment method ${method} is not configured`);
  }

  /** The adapter that verifies `name`'s webhooks, or null (→ 404). */
  byName(name: string): PaymentProvider | null {
    if (!(WEBHOOK_PROVIDERS as readonly string[]).includes(name)) return null;
    return this.providers[name as ProviderName] ?? null;
  }
}

export type ProviderAdapters = Partial<Record<ProviderName, PaymentProvider>>;

export interface ProvidersInput {
  config: Pick<Config, 'providers' | 'providerEndpoints' | 'sandbox'>;
  /** The sandbox provider keeps its own books and signs its webhooks with a key derived from this. */
  db: Db;
  clock: Clock;
  secretKey: Buffer;
  /** Where payers are sent (the sandbox's hosted page); read when a payment is created. */
  publicUrl: () => string;
  /** Replaces or wraps configured adapters (tests: a provider that is down, a fake API). */
  adapt?: (configured: Readonly<ProviderAdapters>) => ProviderAdapters;
}

/** The app's registry: the configured real providers, the sandbox when it is on. */
export function buildPaymentProviders(input: ProvidersInput): PaymentProviders {
  const configured: ProviderAdapters = createConfiguredProviders(providersConfig(input.config));
  if (input.config.sandbox) configured.sandbox = new SandboxProvider(input.db, input.clock, sandboxWebhookKey(input.secretKey), input.publicUrl);
  return new PaymentProviders(input.adapt ? input.adapt(configured) : configured, input.config.sandbox);
}
