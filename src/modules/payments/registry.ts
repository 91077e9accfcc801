// The provider registry: which adapter takes a payment method, and which one verifies a webhook.
// A real provider is used when its credentials are configured (API.md "Configuration"); without
// them, sandbox mode answers with the built-in sandbox provider; production without credentials
// refuses the method (422 payment_method_unavailable). Built once per app by the composition root
// (no network at start) and handed to the use cases that pay, refund and reconcile.
import type { Config } from '../../config.ts';
import { createConfiguredProviders, type PaymentProvidersConfig } from '../../adapters/payments/index.ts';
import type { PaymentFlow, PaymentProvider, ProviderName } from '../../adapters/payments/types.ts';
import { WechatOauth } from '../../adapters/payments/wechat-oauth.ts';
import { DomainError, validation } from '../../domain/errors.ts';
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

/**
 * The flows a client may ask for, per method — the same whichever provider (real or sandbox) takes
 * it, so an API client sees one rule. Cards and PayPal adapt their hosted pages to the device themselves.
 */
export const FLOWS_OF_METHOD: Readonly<Record<ExternalMethod, readonly PaymentFlow[]>> = {
  card: [], paypal: [], alipay: ['qr', 'h5'], wechat_pay: ['qr', 'h5', 'jsapi'],
};

/** 422 payment_flow_unavailable before anything is written: a flow the method or its provider cannot honour. */
export function assertFlowOffered(method: PaymentMethod, flow: PaymentFlow | undefined, provider: PaymentProvider | null): void {
  if (flow === undefined) return;
  const offered = isExternalMethod(method) && FLOWS_OF_METHOD[method].includes(flow) && provider !== null && provider.flows.includes(flow);
  if (!offered) {
    const allowed = isExternalMethod(method) ? FLOWS_OF_METHOD[method] : [];
    throw validation('payment_flow_unavailable', `paymentMethod ${method} cannot be paid with paymentFlow ${flow}`, [
      { path: 'paymentFlow', message: allowed.length === 0 ? `${method} takes no paymentFlow` : `one of ${allowed.join(', ')}` },
    ]);
  }
}

/**
 * How JSAPI orders learn the payer's openid when WeChat Pay itself takes `wechat_pay` orders: the
 * AppID they are opened with and, when WECHAT_APP_SECRET is set, its snsapi_base web authorisation.
 */
export interface WechatPayerSetup {
  appId: string;
  /** Whether the merchant offers JSAPI at all (WECHATPAY_FLOWS). */
  jsapiOffered: boolean;
  oauth: WechatOauth | null;
}

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
    ...(p.alipay
      ? { alipay: { appId: p.alipay.appId, privateKeyPem: p.alipay.privateKey, alipayPublicKeyPem: p.alipay.publicKey, gatewayUrl: at.alipayGatewayUrl, flows: p.alipay.flows } }
      : {}),
    ...(p.wechatPay
      ? {
          wechatPay: {
            mchId: p.wechatPay.mchId, apiV3Key: p.wechatPay.apiV3Key, privateKeyPem: p.wechatPay.privateKey,
            certSerial: p.wechatPay.certSerial, platformPublicKeyPem: p.wechatPay.platformPublicKey, baseUrl: at.wechatPayBaseUrl, flows: p.wechatPay.flows,
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
    /** Null when no real WeChat Pay with an AppID is configured (the sandbox, if on, takes wechat_pay: it needs no openid). */
    readonly wechatPayer: WechatPayerSetup | null = null,
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
  return new PaymentProviders(input.adapt ? input.adapt(configured) : configured, input.config.sandbox, wechatPayerSetup(input.config));
}

function wechatPayerSetup(config: Pick<Config, 'providers' | 'providerEndpoints'>): WechatPayerSetup | null {
  const wechat = config.providers.wechatPay;
  if (!wechat || wechat.appId === null) return null;
  // Without the JSAPI product, no payer needs to be learnt: the payer step answers "not offered".
  if (!wechat.flows.includes('jsapi')) return { appId: wechat.appId, jsapiOffered: false, oauth: null };
  const oauth = wechat.appSecret === null ? null : new WechatOauth({
    appId: wechat.appId, appSecret: wechat.appSecret,
    oauthBaseUrl: config.providerEndpoints.wechatOauthBaseUrl, apiBaseUrl: config.providerEndpoints.wechatApiBaseUrl,
  });
  return { appId: wechat.appId, jsapiOffered: true, oauth };
}
