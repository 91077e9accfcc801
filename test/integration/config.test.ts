// Configuration is validated at start (API.md "Configuration"): every value that would only fail
// later — at listen, at the first payment, in a migration — stops loadConfig with a message naming
// the variable. loadConfig is called directly: it reads nothing but the environment it is given.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, httpUrlOf, loadConfig } from '../../src/config.ts';
import { listMigrations } from '../../src/db/migrate.ts';

const BASE = { NODE_ENV: 'test', SIMKEEP_LOG_LEVEL: 'silent' };
const load = (env: Record<string, string>) => loadConfig({ ...BASE, ...env });

function expectRefused(env: Record<string, string>, variable: string, message?: RegExp): void {
  let error: unknown = null;
  try {
    load(env);
  } catch (e) {
    error = e;
  }
  expect(error, `${JSON.stringify(env)} was accepted`).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toContain(variable);
  if (message) expect((error as Error).message).toMatch(message);
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const privatePkcs1Pem = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privateBase64 = rsa.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
const publicBase64 = rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ecPrivatePem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const dir = mkdtempSync(join(tmpdir(), 'simkeep-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('numbers are strict decimals', () => {
  it.each([
    ['PORT', ' '], ['PORT', '0x10'], ['PORT', '1e3'], ['PORT', '80.5'], ['PORT', '-1'], ['PORT', '65536'], ['PORT', '+80'],
    ['SIMKEEP_RENEW_DAYS_BEFORE', ' '], ['SIMKEEP_RENEW_DAYS_BEFORE', '0x2'], ['SIMKEEP_RENEW_DAYS_BEFORE', '61'],
    ['SIMKEEP_SIM_CARRIER_LATENCY_MS', '1e3'], ['SIMKEEP_SIM_CARRIER_FAILURE_RATE', '1e-1'], ['SIMKEEP_SIM_CARRIER_FAILURE_RATE', ' '],
    ['SIMKEEP_SIM_CARRIER_FAILURE_RATE', '1.5'], ['SIMKEEP_REGISTER_LIMIT_PER_HOUR', 'many'],
  ])('refuses %s=%j', (variable, value) => {
    expectRefused({ [variable]: value }, variable);
  });

  it('accepts plain decimals and applies the documented defaults', () => {
    const c = load({ PORT: '8080', SIMKEEP_RENEW_DAYS_BEFORE: '0', SIMKEEP_SIM_CARRIER_FAILURE_RATE: '0.25', SIMKEEP_SIM_CARRIER_LATENCY_MS: '0' });
    expect([c.port, c.renewDaysBefore, c.simulatedCarrier]).toEqual([8080, 0, { latencyMs: 0, failureRate: 0.25 }]);
    const d = load({});
    expect([d.port, d.host, d.renewDaysBefore, d.registerLimitPerHour, d.trustProxy, d.simulatedCarrier]).toEqual([
      3000, '127.0.0.1', 2, 0, null, { latencyMs: 50, failureRate: 0 },
    ]);
    // The registration limit is off in sandbox mode (NODE_ENV=test) and on in production.
    expect(load({ SIMKEEP_SANDBOX: '0' }).registerLimitPerHour).toBe(20);
    expect(load({ SIMKEEP_REGISTER_LIMIT_PER_HOUR: '7' }).registerLimitPerHour).toBe(7);
  });
});

describe('HOST and the public URL', () => {
  it.each(['not a host', 'exa mple.com', 'http://example.com', '[::1]', '-bad.example', 'a..b', 'x'.repeat(64) + '.com'])('refuses HOST=%j', (host) => {
    expectRefused({ HOST: host }, 'HOST');
  });

  it.each(['0.0.0.0', '::', '::1', 'localhost', 'api.example.com', '10.1.2.3'])('accepts HOST=%j', (host) => {
    expect(load({ HOST: host }).host).toBe(host);
  });

  it.each(['ftp://example.com', 'javascript:alert(1)', 'mailto:ops@example.com', 'example.com', 'http://', 'https://user:pw@example.com', 'https://example.com/?a=1'])(
    'refuses SIMKEEP_PUBLIC_URL=%j',
    (url) => expectRefused({ SIMKEEP_PUBLIC_URL: url }, 'SIMKEEP_PUBLIC_URL'),
  );

  it('takes an http(s) public URL without its trailing slash, else derives it from HOST and PORT (IPv6 in brackets)', () => {
    expect(load({ SIMKEEP_PUBLIC_URL: 'https://pay.example.com/' })).toMatchObject({ publicUrl: 'https://pay.example.com', publicUrlExplicit: true });
    expect(load({ SIMKEEP_PUBLIC_URL: 'http://10.0.0.5:8080/simkeep' }).publicUrl).toBe('http://10.0.0.5:8080/simkeep');
    expect(load({ HOST: '::1', PORT: '4000' })).toMatchObject({ publicUrl: 'http://[::1]:4000', publicUrlExplicit: false });
    expect(httpUrlOf('::', 3000)).toBe('http://[::]:3000');
    expect(httpUrlOf('example.com', 80)).toBe('http://example.com:80');
  });
});

describe('the administrator from configuration', () => {
  it.each([
    ['short', 'Sh0rt-pw'],
    ['common', 'password123'],
    ['ten spaces', ' '.repeat(10)],
    ['the email', 'Boss@Example.test'],
  ])('refuses a %s SIMKEEP_ADMIN_PASSWORD', (_what, password) => {
    expectRefused({ SIMKEEP_ADMIN_EMAIL: 'boss@example.test', SIMKEEP_ADMIN_PASSWORD: password }, 'SIMKEEP_ADMIN_PASSWORD');
  });

  it('accepts a strong one', () => {
    expect(load({ SIMKEEP_ADMIN_EMAIL: 'boss@example.test', SIMKEEP_ADMIN_PASSWORD: 'Adm1n-k7Qp!zx93-long' }).admin).toEqual({
      email: 'boss@example.test', password: 'Adm1n-k7Qp!zx93-long',
    });
  });
});

describe('SIMKEEP_TRUST_PROXY', () => {
  it('is off by default; 1 trusts a proxy on loopback; a list names the proxies', () => {
    expect(load({ SIMKEEP_TRUST_PROXY: '0' }).trustProxy).toBeNull();
    expect(load({ SIMKEEP_TRUST_PROXY: '1' }).trustProxy).toBe('loopback');
    expect(load({ SIMKEEP_TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,uniquelocal' }).trustProxy).toBe('10.0.0.0/8,192.168.1.7,uniquelocal');
  });

  it.each(['yes', '10.0.0.0/33', 'proxy.example.com', '2'])('refuses %j', (value) => expectRefused({ SIMKEEP_TRUST_PROXY: value }, 'SIMKEEP_TRUST_PROXY'));
});

describe('payment provider keys', () => {
  const alipay = (privateKey: string, publicKey: string) => ({ ALIPAY_APP_ID: '2021000000000042', ALIPAY_PRIVATE_KEY: privateKey, ALIPAY_PUBLIC_KEY: publicKey });

  it('accepts PEM text, bare base64 and a path, and hands the adapters PEM text', () => {
    const privatePath = join(dir, 'app-private.pem');
    writeFileSync(privatePath, privatePkcs1Pem);
    for (const [priv, pub] of [[privatePem, publicPem], [privateBase64, publicBase64], [privatePath, publicPem]] as const) {
      const { alipay: keys } = load(alipay(priv, pub)).providers;
      expect(keys?.privateKey).toBe(privatePem);
      expect(keys?.publicKey).toBe(publicPem);
    }
  });

  it.each([
    ['ALIPAY_PRIVATE_KEY', alipay('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----', publicPem), /private key/],
    ['ALIPAY_PRIVATE_KEY', alipay('bm90IGEga2V5', publicPem), /private key/],
    ['ALIPAY_PRIVATE_KEY', alipay('./no/such/key.pem', publicPem), /no such key file/],
    ['ALIPAY_PRIVATE_KEY', alipay(ecPrivatePem, publicPem), /RSA/],
    ['ALIPAY_PUBLIC_KEY', alipay(privatePem, 'garbage!'), /public key|not PEM/],
    ['ALIPAY_PUBLIC_KEY', alipay(privatePem, privateBase64), /public key/],
  ])('refuses a bad %s at start, naming it', (variable, env, message) => {
    expectRefused(env, variable, message);
  });

  const wechat = {
    WECHATPAY_MCH_ID: '1900000109', WECHATPAY_APP_ID: 'wxd678efh567hg6787', WECHATPAY_API_V3_KEY: 'a'.repeat(32),
    WECHATPAY_PRIVATE_KEY: privatePem, WECHATPAY_CERT_SERIAL: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1', WECHATPAY_PLATFORM_PUBLIC_KEY: publicPem,
  };

  it("enables WeChat Pay with API.md's five variables; WECHATPAY_APP_ID is optional but never alone", () => {
    expect(load(wechat).providers.wechatPay).toMatchObject({ appId: 'wxd678efh567hg6787', privateKey: privatePem, platformPublicKey: publicPem });
    const { WECHATPAY_APP_ID: _appId, ...withoutAppId } = wechat;
    expect(load(withoutAppId).providers.wechatPay).toMatchObject({ appId: null, mchId: '1900000109' });
    expectRefused({ WECHATPAY_APP_ID: 'wxd678efh567hg6787' }, 'WECHATPAY_APP_ID');
    const { WECHATPAY_CERT_SERIAL: _serial, ...withoutSerial } = wechat;
    expectRefused(withoutSerial, 'WECHATPAY_CERT_SERIAL');
  });

  it('takes WECHAT_APP_SECRET (JSAPI payments) only with WeChat Pay and its AppID, and WeChat endpoints only by the provider URL rule', () => {
    const secret = 'wechat-app-secret-0123456789';
    expect(load({ ...wechat, WECHAT_APP_SECRET: secret }).providers.wechatPay).toMatchObject({ appSecret: secret });
    expect(load(wechat).providers.wechatPay).toMatchObject({ appSecret: null });
    const { WECHATPAY_APP_ID: _appId, ...withoutAppId } = wechat;
    expectRefused({ ...withoutAppId, WECHAT_APP_SECRET: secret }, 'WECHAT_APP_SECRET');
    expectRefused({ WECHAT_APP_SECRET: secret }, 'WECHAT_APP_SECRET');
    expectRefused({ ...wechat, WECHAT_APP_SECRET: 'short' }, 'WECHAT_APP_SECRET');
    expect(load({}).providerEndpoints).toMatchObject({ wechatOauthBaseUrl: 'https://open.weixin.qq.com', wechatApiBaseUrl: 'https://api.weixin.qq.com' });
    expectRefused({ WECHAT_OAUTH_BASE_URL: 'http://open.weixin.qq.com' }, 'WECHAT_OAUTH_BASE_URL');
    expectRefused({ WECHAT_API_BASE_URL: 'ftp://127.0.0.1' }, 'WECHAT_API_BASE_URL');
  });

  it('reads the flows each merchant account offers (ALIPAY_FLOWS, WECHATPAY_FLOWS): all by default, a subset, or none', () => {
    const alipayEnv = { ALIPAY_APP_ID: '2021000000000042', ALIPAY_PRIVATE_KEY: privatePem, ALIPAY_PUBLIC_KEY: publicPem };
    expect(load(alipayEnv).providers.alipay?.flows).toEqual(['qr', 'h5']);
    expect(load({ ...alipayEnv, ALIPAY_FLOWS: 'h5' }).providers.alipay?.flows).toEqual(['h5']);
    expect(load({ ...alipayEnv, ALIPAY_FLOWS: 'none' }).providers.alipay?.flows).toEqual([]);
    expect(load(wechat).providers.wechatPay?.flows).toEqual(['qr', 'h5', 'jsapi']);
    expect(load({ ...wechat, WECHATPAY_FLOWS: 'qr, jsapi' }).providers.wechatPay?.flows).toEqual(['qr', 'jsapi']);
    expectRefused({ ...alipayEnv, ALIPAY_FLOWS: 'jsapi' }, 'ALIPAY_FLOWS');
    expectRefused({ ...wechat, WECHATPAY_FLOWS: 'qr,app' }, 'WECHATPAY_FLOWS');
  });

  it('parses the WeChat Pay keys at start too', () => {
    expectRefused({ ...wechat, WECHATPAY_PLATFORM_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' }, 'WECHATPAY_PLATFORM_PUBLIC_KEY');
    expectRefused({ ...wechat, WECHATPAY_PRIVATE_KEY: 'MIIB' }, 'WECHATPAY_PRIVATE_KEY');
  });
});

describe('migration files', () => {
  const migrationsDir = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(dir, 'migrations-'));
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(d, name), sql);
    return d;
  };

  it('lists well-named files in order', () => {
    const d = migrationsDir({ '0002_b.sql': 'SELECT 2;', '0001_a.sql': 'SELECT 1;' });
    expect(listMigrations(d).map((m) => [m.version, m.name])).toEqual([[1, 'a'], [2, 'b']]);
  });

  it.each(['0003-add-column.sql', '3_add.sql', '0003_Add.sql', '0003_add.SQL', 'notes.txt'])('refuses a misnamed %s instead of skipping it', (bad) => {
    const d = migrationsDir({ '0001_a.sql': 'SELECT 1;', [bad]: 'SELECT 3;' });
    expect(() => listMigrations(d)).toThrow(bad);
  });

  it('refuses two migrations with one number', () => {
    const d = migrationsDir({ '0001_a.sql': 'SELECT 1;', '0001_b.sql': 'SELECT 2;' });
    expect(() => listMigrations(d)).toThrow(/share the number 0001/);
  });
});
