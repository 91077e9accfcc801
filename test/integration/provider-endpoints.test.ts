// Provider environments (API.md "Configuration"): ALIPAY_GATEWAY_URL, WECHATPAY_BASE_URL and
// PAYPAL_BASE_URL default to the live endpoints, are validated at start (https, plain http only to
// loopback), and reach the adapters — a stand-in on loopback named by the variable gets the calls
// of an order placed over HTTP.
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { startTestApp } from '../support/harness.ts';
import { closeServer, listenOnLoopback } from '../support/loopback.ts';
import { buyer, order, plainPlan } from '../support/orders-fixtures.ts';

const BASE = { NODE_ENV: 'test', SIMKEEP_LOG_LEVEL: 'silent' };
const VARIABLES = ['ALIPAY_GATEWAY_URL', 'WECHATPAY_BASE_URL', 'PAYPAL_BASE_URL', 'STRIPE_API_BASE_URL', 'WECHAT_OAUTH_BASE_URL', 'WECHAT_API_BASE_URL'] as const;

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const CREDENTIALS = {
  PAYPAL_CLIENT_ID: 'client', PAYPAL_CLIENT_SECRET: 'secret', PAYPAL_WEBHOOK_ID: 'WH1',
  ALIPAY_APP_ID: '2021000000000000', ALIPAY_PRIVATE_KEY: privatePem, ALIPAY_PUBLIC_KEY: publicPem,
  WECHATPAY_MCH_ID: '1900000001', WECHATPAY_APP_ID: 'wx0000000000000000', WECHATPAY_API_V3_KEY: 'a'.repeat(32),
  WECHATPAY_PRIVATE_KEY: privatePem, WECHATPAY_CERT_SERIAL: 'SERIAL1', WECHATPAY_PLATFORM_PUBLIC_KEY: publicPem,
};

function refusal(env: Record<string, string>): string {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(env)} was accepted`);
}

describe('provider endpoint variables', () => {
  it('default to the live endpoints', () => {
    expect(loadConfig(BASE).providerEndpoints).toEqual({
      alipayGatewayUrl: 'https://openapi.alipay.com/gateway.do',
      wechatPayBaseUrl: 'https://api.mch.weixin.qq.com',
      paypalBaseUrl: 'https://api-m.paypal.com',
      stripeApiBaseUrl: 'https://api.stripe.com',
      wechatOauthBaseUrl: 'https://open.weixin.qq.com',
      wechatApiBaseUrl: 'https://api.weixin.qq.com',
    });
  });

  it.each(VARIABLES)('%s accepts https anywhere and plain http only on loopback', (variable) => {
    for (const ok of ['https://api-m.sandbox.paypal.com', 'https://openapi-sandbox.dl.alipaydev.com/gateway.do', 'http://127.0.0.1:4010', 'http://localhost:8080/gw', 'http://[::1]:9000']) {
      expect(() => loadConfig({ ...BASE, [variable]: ok }), ok).not.toThrow();
    }
    for (const bad of ['http://api-m.paypal.com', 'http://10.0.0.5:8080', 'ftp://127.0.0.1/x', 'https://user:pw@api-m.paypal.com', 'https://x.example/?q=1', 'not a url']) {
      expect(refusal({ [variable]: bad }), bad).toContain(variable);
    }
  });
});

describe('orders reach a stand-in named by the variable', () => {
  const seen: string[] = [];
  let standIn: Server;
  let url = '';
  let app: Awaited<ReturnType<typeof startTestApp>> | null = null;
  beforeAll(async () => {
    standIn = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        if (req.url === '/v1/oauth2/token') return res.end('{"access_token":"A21local","token_type":"Bearer","expires_in":32400}');
        if (req.url === '/v2/checkout/orders') {
          return res.end(JSON.stringify({ id: 'PP-1', status: 'PAYER_ACTION_REQUIRED', links: [{ rel: 'payer-action', href: `${url}/checkoutnow?token=PP-1` }] }));
        }
        res.statusCode = 503;
        res.end('{}');
      });
    });
    url = await listenOnLoopback(standIn);
    // Through the real start path: environment → loadConfig → the registry → the adapters.
    app = await startTestApp('pglite', {
      ...CREDENTIALS, PAYPAL_BASE_URL: url, WECHATPAY_BASE_URL: url, ALIPAY_GATEWAY_URL: `${url}/gateway.do`,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await closeServer(standIn);
  });

  it('PAYPAL_BASE_URL: the token and the order go to the stand-in, whose approval link the payer gets', async () => {
    const ctx = app?.ctx;
    if (!ctx) throw new Error('app not started');
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'paypal' });
    expect(created.status, created.text).toBe(201);
    expect(created.json.payment.action.url).toBe(`${url}/checkoutnow?token=PP-1`);
    expect(seen).toEqual(expect.arrayContaining(['POST /v1/oauth2/token', 'POST /v2/checkout/orders']));
  });

  it('WECHATPAY_BASE_URL and ALIPAY_GATEWAY_URL: the Native order and the payer\'s gateway are the stand-in', async () => {
    const ctx = app?.ctx;
    if (!ctx) throw new Error('app not started');
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500, { price: { amount: 500, currency: 'CNY' } });
    // The stand-in answers WeChat Pay 503: the order is refused as the provider being unavailable.
    const wechat = await order(ctx, b, { planId: plan.id, paymentMethod: 'wechat_pay' });
    expect(wechat.status, wechat.text).toBe(503);
    expect(seen.some((s) => s.startsWith('POST /v3/pay/transactions/native'))).toBe(true);
    const alipay = await order(ctx, b, { planId: plan.id, paymentMethod: 'alipay' });
    expect(alipay.status, alipay.text).toBe(201);
    const action = alipay.json.payment.action as { url?: string; qrData?: string };
    expect((action.url ?? action.qrData ?? '').startsWith(`${url}/gateway.do`), JSON.stringify(action)).toBe(true);
  });
});
