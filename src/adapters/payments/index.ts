// Builds the real payment providers that have credentials configured (API.md "Configuration":
// a provider is enabled by its credentials). Construction parses keys but never calls a provider —
// starting must not touch the network. The sandbox provider is built elsewhere: it needs the database.
import { AlipayProvider } from './alipay.ts';
import { PaypalProvider, type FetchCert } from './paypal.ts';
import { StripeProvider } from './stripe.ts';
import type { PaymentFlow, PaymentProvider, ProviderName } from './types.ts';
import { WechatPayProvider } from './wechat-pay.ts';

export interface PaymentProvidersConfig {
  stripe?: { secretKey: string; webhookSecret: string; apiBaseUrl?: string };
  alipay?: { appId: string; privateKeyPem: string; alipayPublicKeyPem: string; gatewayUrl?: string; flows?: readonly PaymentFlow[] };
  wechatPay?: {
    mchId: string;
    apiV3Key: string;
    privateKeyPem: string;
    certSerial: string;
    platformPublicKeyPem: string;
    baseUrl?: string;
    /** Required by the Native order API; not in API.md's env list yet. */
    appId?: string;
    platformSerial?: string;
    flows?: readonly PaymentFlow[];
  };
  paypal?: { clientId: string; clientSecret: string; webhookId: string; baseUrl?: string; fetchCert?: FetchCert };
}

export function createConfiguredProviders(config: PaymentProvidersConfig): Partial<Record<ProviderName, PaymentProvider>> {
  const providers: Partial<Record<ProviderName, PaymentProvider>> = {};
  if (config.stripe) providers.stripe = new StripeProvider(config.stripe);
  if (config.alipay) providers.alipay = new AlipayProvider(config.alipay);
  if (config.wechatPay) providers.wechat_pay = new WechatPayProvider(config.wechatPay);
  if (config.paypal) providers.paypal = new PaypalProvider(config.paypal);
  return providers;
}

export * from './types.ts';
