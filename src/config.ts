// The one place environment variables are read. Every variable of API.md's configuration table is
// parsed and validated here; a bad value stops start-up with a message naming the variable.
// Numbers are strict decimals (no ' ', 0x10, 1e3), URLs are http(s), keys are parsed here — so a
// value that would only fail later (at listen, at the first payment) fails at start instead.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { z } from 'zod';
import { ALIPAY_GATEWAY_URL } from './adapters/payments/alipay.ts';
import { PAYPAL_BASE_URL } from './adapters/payments/paypal.ts';
import { STRIPE_API_BASE_URL } from './adapters/payments/stripe.ts';
import { WECHAT_PAY_BASE_URL } from './adapters/payments/wechat-pay.ts';
import { WECHAT_API_BASE_URL, WECHAT_OAUTH_BASE_URL } from './adapters/payments/wechat-oauth.ts';
import type { PaymentFlow } from './adapters/payments/types.ts';
import { parsePostgresUrl, PostgresUrlError } from './db/postgres-url.ts';
import { checkPasswordPolicy } from './modules/accounts/password-policy.ts';

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/**
 * The payment flows a provider's merchant account has signed up for (ALIPAY_FLOWS, WECHATPAY_FLOWS):
 * a comma-separated subset of `offered`, or `none`. Each is a separate product with the provider
 * (Alipay 当面付 / 手机网站支付; WeChat Pay H5 / JSAPI), so a merchant may have only some.
 */
function flowList(offered: readonly PaymentFlow[]) {
  return z.string()
    .refine((v) => v === 'none' || v.split(',').every((f) => (offered as readonly string[]).includes(f.trim())), `must be \`none\` or a comma-separated subset of ${offered.join(', ')}`)
    .transform((v): PaymentFlow[] => (v === 'none' ? [] : [...new Set(v.split(',').map((f) => f.trim()))].filter((f): f is PaymentFlow => (offered as readonly string[]).includes(f))))
    .default([...offered]);
}

/** A whole number written in plain decimal digits, within [min, max]. */
function decimalInt(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be ${min}..${max}`).max(max, `must be ${min}..${max}`));
}

/** A decimal fraction such as 0, 0.25 or 1 (no exponent, no sign). */
const decimalFraction = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,9})?$/, 'must be a decimal number such as 0.25')
  .transform(Number)
  .pipe(z.number().min(0, 'must be 0..1').max(1, 'must be 0..1'));

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
function isHostSyntax(value: string): boolean {
  return isIP(value) !== 0 || HOSTNAME.test(value);
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyAddress(item: string): boolean {
  if (PROXY_NAMES.has(item)) return true;
  const [address = '', prefix, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/** SIMKEEP_TRUST_PROXY → the trusted-proxy list: '' = none, undefined = invalid. `1` trusts a proxy on loopback. */
function trustProxyOf(value: string): string | undefined {
  if (value === '0' || value === 'false') return '';
  if (value === '1' || value === 'true') return 'loopback';
  const items = value.split(',').map((v) => v.trim());
  return items.every(isProxyAddress) ? items.join(',') : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.username && !url.password && !url.search && !url.hash;
  } catch {
    return false;
  }
}

/** Whether a URL's host is this machine's loopback (localhost, 127.0.0.0/8, ::1). */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * A payment provider's or an HTTP/JSON carrier's endpoint: https, or plain http only to a stand-in
 * on loopback (tests, local fakes) — an http URL elsewhere would send credentials and payment data in clear.
 */
export function isProviderEndpoint(value: string): boolean {
  if (!isHttpUrl(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || isLoopbackHost(url.hostname);
}

const providerEndpoint = z
  .string()
  .refine(isProviderEndpoint, 'must be an https:// URL (plain http:// only for a loopback host), without credentials, query or fragment');

/**
 * Requests served at once by default (the rest wait their turn in order). The embedded database has
 * one connection, so a few at a time keep it busy; on PostgreSQL the pool (10 connections per
 * process) is the tighter bound, with its own FIFO wait under the same time limit.
 */
const REQUESTS_IN_FLIGHT_MAX_PGLITE = 4;
const REQUESTS_IN_FLIGHT_MAX_POSTGRES = 64;
const REQUEST_QUEUE_MAX_DEFAULT = 1_000;
/** Past this a waiting request is answered 503 rather than left hanging (clients and proxies time out at 10–30 s). */
const REQUEST_QUEUE_WAIT_MS_DEFAULT = 5_000;

/** One host or several (`h1:5432,h2:5432`, failover): each must parse, so a typo stops start-up, not the first failover. */
function checkPostgresUrl(value: string, ctx: z.RefinementCtx): void {
  if (!/^postgres(ql)?:\/\//.test(value)) return;
  try {
    parsePostgresUrl(value);
  } catch (error) {
    if (!(error instanceof PostgresUrlError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
}

const envSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: decimalInt(0, 65_535).default(3000),
  HOST: z.string().refine(isHostSyntax, 'must be an IP address or a host name (IPv6 without brackets)').default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .superRefine(checkPostgresUrl)
    .optional(),
  SIMKEEP_DATA_DIR: z.string().min(1).default('./data'),
  SIMKEEP_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)')
    .optional(),
  SIMKEEP_ADMIN_EMAIL: z.email('must be an email address').optional(),
  SIMKEEP_ADMIN_PASSWORD: z.string().min(1).optional(),
  SIMKEEP_DEMO: flag.optional(),
  SIMKEEP_SANDBOX: flag.optional(),
  SIMKEEP_WORKER: flag.default(true),
  SIMKEEP_TRUST_PROXY: z
    .string()
    .refine((v) => trustProxyOf(v) !== undefined, 'must be 0, 1 (trust a proxy on loopback) or a comma-separated list of proxy addresses/CIDRs')
    .default('0'),
  SIMKEEP_REGISTER_LIMIT_PER_HOUR: decimalInt(0, 1_000_000).optional(),
  SIMKEEP_RENEW_DAYS_BEFORE: decimalInt(0, 60).default(2),
  SIMKEEP_PUBLIC_URL: z.string().refine(isHttpUrl, 'must be an http:// or https:// URL (no credentials, query or fragment)').optional(),
  SIMKEEP_SIM_CARRIER_FAILURE_RATE: decimalFraction.default(0),
  SIMKEEP_SIM_CARRIER_LATENCY_MS: decimalInt(0, 10_000).default(50),
  SIMKEEP_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  ALIPAY_APP_ID: z.string().min(1).optional(),
  ALIPAY_PRIVATE_KEY: z.string().min(1).optional(),
  ALIPAY_PUBLIC_KEY: z.string().min(1).optional(),
  WECHATPAY_MCH_ID: z.string().min(1).optional(),
  WECHATPAY_APP_ID: z.string().min(1).optional(),
  WECHATPAY_API_V3_KEY: z.string().length(32, 'must be the 32-character APIv3 key').optional(),
  WECHATPAY_PRIVATE_KEY: z.string().min(1).optional(),
  WECHATPAY_CERT_SERIAL: z.string().min(1).optional(),
  WECHATPAY_PLATFORM_PUBLIC_KEY: z.string().min(1).optional(),
  ALIPAY_FLOWS: flowList(['qr', 'h5']),
  WECHATPAY_FLOWS: flowList(['qr', 'h5', 'jsapi']),
  WECHAT_APP_SECRET: z.string().regex(/^[\x21-\x7e]{16,128}$/, 'must be the official account\'s AppSecret (16–128 printable characters)').optional(),
  PAYPAL_CLIENT_ID: z.string().min(1).optional(),
  PAYPAL_CLIENT_SECRET: z.string().min(1).optional(),
  PAYPAL_WEBHOOK_ID: z.string().min(1).optional(),
  ALIPAY_GATEWAY_URL: providerEndpoint.default(ALIPAY_GATEWAY_URL),
  WECHATPAY_BASE_URL: providerEndpoint.default(WECHAT_PAY_BASE_URL),
  WECHAT_OAUTH_BASE_URL: providerEndpoint.default(WECHAT_OAUTH_BASE_URL),
  WECHAT_API_BASE_URL: providerEndpoint.default(WECHAT_API_BASE_URL),
  PAYPAL_BASE_URL: providerEndpoint.default(PAYPAL_BASE_URL),
  STRIPE_API_BASE_URL: providerEndpoint.default(STRIPE_API_BASE_URL),
  SIMKEEP_METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,512}$/, 'must be 16–512 printable characters without spaces').optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  SIMKEEP_MAIL_FROM: z.string().min(3).optional(),
  SIMKEEP_WEBHOOK_ALLOW_PRIVATE: flag.default(false),
  SIMKEEP_REQUESTS_IN_FLIGHT_MAX: decimalInt(1, 10_000).optional(),
  SIMKEEP_REQUEST_QUEUE_MAX: decimalInt(0, 100_000).default(REQUEST_QUEUE_MAX_DEFAULT),
  SIMKEEP_REQUEST_QUEUE_WAIT_MS: decimalInt(1, 120_000).default(REQUEST_QUEUE_WAIT_MS_DEFAULT),
});

type Env = z.infer<typeof envSchema>;

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  /** PostgreSQL's `connectionWaitMs`: how long a statement may wait for a pooled connection before 503 server_busy. */
  readonly database: Readonly<{ kind: 'pglite'; dataDir: string | null } | { kind: 'postgres'; url: string; connectionWaitMs: number }>;
  /**
   * Requests served at once (the rest wait in arrival order), how many may wait, and for how long,
   * before they are shed with 503 server_busy (SIMKEEP_REQUESTS_IN_FLIGHT_MAX, SIMKEEP_REQUEST_QUEUE_MAX,
   * SIMKEEP_REQUEST_QUEUE_WAIT_MS).
   */
  readonly admission: Readonly<{ inFlightMax: number; queueMax: number; queueWaitMs: number }>;
  /** Explicit key, or null: then it is generated into the data dir on the first embedded start. */
  readonly secretKeyHex: string | null;
  readonly admin: Readonly<{ email: string; password: string }> | null;
  /** null = decide at start (seed when the embedded database is empty). */
  readonly demo: boolean | null;
  readonly sandbox: boolean;
  readonly worker: boolean;
  /**
   * The proxies whose X-Forwarded-For is believed, as Fastify's `trustProxy` list (`loopback`,
   * addresses, CIDRs), or null: the client address is the socket's (SIMKEEP_TRUST_PROXY).
   */
  readonly trustProxy: string | null;
  /** Registrations allowed per client IP per hour; 0 = no limit. */
  readonly registerLimitPerHour: number;
  readonly renewDaysBefore: number;
  /**
   * The base URL people and providers reach as configured: SIMKEEP_PUBLIC_URL, else derived from
   * HOST and PORT. The running app's own (`AppDeps.publicUrl`) is the address it actually bound
   * when PORT=0 picked a free port.
   */
  readonly publicUrl: string;
  /** Whether SIMKEEP_PUBLIC_URL set publicUrl (then listening never changes it). */
  readonly publicUrlExplicit: boolean;
  readonly logLevel: Env['SIMKEEP_LOG_LEVEL'];
  /** The simulated carrier's behaviour (demo and tests): latency and share of failed requests. */
  readonly simulatedCarrier: Readonly<{ latencyMs: number; failureRate: number }>;
  readonly providers: Readonly<ProviderCredentials>;
  readonly smtp: Readonly<{ url: string; from: string }> | null;
  /** Subscriber webhooks may target loopback and private addresses (SIMKEEP_WEBHOOK_ALLOW_PRIVATE; tests, closed networks). */
  readonly webhookAllowPrivate: boolean;
  /** Where each provider's API is (ALIPAY_GATEWAY_URL, WECHATPAY_BASE_URL, PAYPAL_BASE_URL, STRIPE_API_BASE_URL): live by default. */
  readonly providerEndpoints: Readonly<{
    alipayGatewayUrl: string; wechatPayBaseUrl: string; paypalBaseUrl: string; stripeApiBaseUrl: string;
    /** WECHAT_OAUTH_BASE_URL (the payer's browser goes there) and WECHAT_API_BASE_URL (the code → openid exchange). */
    wechatOauthBaseUrl: string; wechatApiBaseUrl: string;
  }>;
  /** SIMKEEP_METRICS_TOKEN: the bearer token GET /metrics requires, or null (open in development, 404 in production). */
  readonly metricsToken: string | null;
}

/** Keys are PEM text, already resolved from a path or bare base64 and parsed once. */
interface ProviderCredentials {
  readonly stripe?: Readonly<{ secretKey: string; webhookSecret: string }>;
  readonly alipay?: Readonly<{ appId: string; privateKey: string; publicKey: string; flows: readonly PaymentFlow[] }>;
  readonly wechatPay?: Readonly<{
    /** WECHATPAY_FLOWS: the flows its merchant account offers (JSAPI also needs WECHAT_APP_SECRET to learn payers). */
    flows: readonly PaymentFlow[];
    mchId: string; appId: string | null; apiV3Key: string; privateKey: string; certSerial: string; platformPublicKey: string;
    /** WECHAT_APP_SECRET: the official account's AppSecret for appId, for the snsapi_base step JSAPI orders need; null = no JSAPI. */
    appSecret: string | null;
  }>;
  readonly paypal?: Readonly<{ clientId: string; clientSecret: string; webhookId: string }>;
}

/** Registrations per client IP per hour when SIMKEEP_REGISTER_LIMIT_PER_HOUR is unset outside sandbox mode. */
const REGISTER_LIMIT_PER_HOUR_DEFAULT = 20;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The URL of a listening address; IPv6 hosts in brackets (RFC 3986). */
export function httpUrlOf(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

/** All of a provider's variables, or none: a half-configured provider is a start-up error. */
function group<K extends keyof Env, T>(env: Env, keys: readonly K[], build: (v: Record<K, string>) => T): T | undefined {
  const present = keys.filter((k) => env[k] !== undefined);
  if (present.length === 0) return undefined;
  const missing = keys.filter((k) => env[k] === undefined);
  if (missing.length > 0) throw new ConfigError(`${missing.join(', ')} must be set together with ${present.join(', ')}`);
  return build(Object.fromEntries(keys.map((k) => [k, String(env[k])])) as Record<K, string>);
}

const BASE64 = /^[A-Za-z0-9+/=\s]+$/;
const looksLikePath = (value: string): boolean => /^[./~]/.test(value) || /\.(pem|key|crt|cer)$/i.test(value);

/**
 * A key given as PEM text, bare base64 (DER: PKCS#8 or PKCS#1 for a private key, SPKI for a public
 * one — how Alipay's console hands them out) or a path to a PEM file, parsed with node:crypto and
 * returned as PEM text. Only RSA keys: both Alipay (RSA2) and WeChat Pay v3 sign with RSA-SHA256.
 */
function resolveKey(variable: string, value: string, kind: 'private' | 'public'): string {
  let text = value;
  if (!value.includes('-----BEGIN') && looksLikePath(value.trim())) {
    const path = value.trim().replace(/^~(?=\/)/, homedir());
    if (!existsSync(path)) throw new ConfigError(`${variable}: no such key file: ${path}`);
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`${variable}: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  let key: KeyObject;
  try {
    key = text.includes('-----BEGIN') ? parsePem(text, kind) : parseBareBase64(text, kind);
  } catch (error) {
    const reason = error instanceof ConfigError ? error.message : `not a valid ${kind} key`;
    throw new ConfigError(`${variable}: ${reason} (give PEM text, bare base64 or a path to a PEM file)`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(`${variable}: must be an RSA key, not ${key.asymmetricKeyType ?? 'unknown'}`);
  return String(kind === 'private' ? key.export({ type: 'pkcs8', format: 'pem' }) : key.export({ type: 'spki', format: 'pem' }));
}

function parsePem(text: string, kind: 'private' | 'public'): KeyObject {
  return kind === 'private' ? createPrivateKey(text) : createPublicKey(text);
}

function parseBareBase64(text: string, kind: 'private' | 'public'): KeyObject {
  if (!BASE64.test(text)) throw new ConfigError(`not PEM, base64 or a file path`);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  if (kind === 'public') return createPublicKey({ key: der, format: 'der', type: 'spki' });
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

/** The database, and how many requests it serves at once and lets wait (one wait bound for both). */
function databaseAndAdmission(env: Env): Pick<Config, 'database' | 'admission'> {
  const queueWaitMs = env.SIMKEEP_REQUEST_QUEUE_WAIT_MS;
  return {
    database: env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL, connectionWaitMs: queueWaitMs } : { kind: 'pglite', dataDir: env.SIMKEEP_DATA_DIR },
    admission: {
      inFlightMax: env.SIMKEEP_REQUESTS_IN_FLIGHT_MAX ?? (env.DATABASE_URL ? REQUESTS_IN_FLIGHT_MAX_POSTGRES : REQUESTS_IN_FLIGHT_MAX_PGLITE),
      queueMax: env.SIMKEEP_REQUEST_QUEUE_MAX,
      queueWaitMs,
    },
  };
}

/** API.md's five WeChat Pay variables, all or none; WECHATPAY_APP_ID and WECHAT_APP_SECRET optional on top. */
function wechatPayCredentials(env: Env): ProviderCredentials['wechatPay'] {
  if (env.WECHATPAY_APP_ID !== undefined && env.WECHATPAY_MCH_ID === undefined) {
    throw new ConfigError('WECHATPAY_APP_ID is set without the other WeChat Pay variables (WECHATPAY_MCH_ID, …)');
  }
  if (env.WECHAT_APP_SECRET !== undefined && (env.WECHATPAY_APP_ID === undefined || env.WECHATPAY_MCH_ID === undefined)) {
    throw new ConfigError('WECHAT_APP_SECRET is set without WeChat Pay and WECHATPAY_APP_ID (the secret belongs to that AppID)');
  }
  // The group is API.md's five variables. WECHATPAY_APP_ID stays optional: notifications and
  // refunds work without it, but the Native order API needs it, so without it a new WeChat Pay
  // order is refused with 422 payment_method_unavailable.
  return group(
    env,
    ['WECHATPAY_MCH_ID', 'WECHATPAY_API_V3_KEY', 'WECHATPAY_PRIVATE_KEY', 'WECHATPAY_CERT_SERIAL', 'WECHATPAY_PLATFORM_PUBLIC_KEY'],
    (v) => ({
      mchId: v.WECHATPAY_MCH_ID, appId: env.WECHATPAY_APP_ID ?? null, apiV3Key: v.WECHATPAY_API_V3_KEY,
      privateKey: resolveKey('WECHATPAY_PRIVATE_KEY', v.WECHATPAY_PRIVATE_KEY, 'private'),
      certSerial: v.WECHATPAY_CERT_SERIAL,
      platformPublicKey: resolveKey('WECHATPAY_PLATFORM_PUBLIC_KEY', v.WECHATPAY_PLATFORM_PUBLIC_KEY, 'public'),
      appSecret: env.WECHAT_APP_SECRET ?? null,
      flows: env.WECHATPAY_FLOWS,
    }),
  );
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration\n  ${lines.join('\n  ')}`);
  }
  const env = parsed.data;
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  if (env.DATABASE_URL && !env.SIMKEEP_SECRET_KEY) {
    throw new ConfigError('SIMKEEP_SECRET_KEY: required with DATABASE_URL (every process must share the same key)');
  }
  if ((env.SIMKEEP_ADMIN_EMAIL === undefined) !== (env.SIMKEEP_ADMIN_PASSWORD === undefined)) {
    throw new ConfigError('SIMKEEP_ADMIN_EMAIL and SIMKEEP_ADMIN_PASSWORD must be set together');
  }
  if (env.SIMKEEP_ADMIN_EMAIL && env.SIMKEEP_ADMIN_PASSWORD) {
    const weak = checkPasswordPolicy(env.SIMKEEP_ADMIN_PASSWORD, env.SIMKEEP_ADMIN_EMAIL);
    if (weak) throw new ConfigError(`SIMKEEP_ADMIN_PASSWORD: ${weak.message} (the same policy as every account)`);
  }
  const sandbox = env.SIMKEEP_SANDBOX ?? nodeEnv !== 'production';
  const smtp = env.SMTP_URL ? { url: env.SMTP_URL, from: env.SIMKEEP_MAIL_FROM ?? 'simkeep <no-reply@simkeep.invalid>' } : null;
  return {
    env: nodeEnv,
    port: env.PORT,
    host: env.HOST,
    ...databaseAndAdmission(env),
    secretKeyHex: env.SIMKEEP_SECRET_KEY?.toLowerCase() ?? null,
    admin: env.SIMKEEP_ADMIN_EMAIL && env.SIMKEEP_ADMIN_PASSWORD ? { email: env.SIMKEEP_ADMIN_EMAIL, password: env.SIMKEEP_ADMIN_PASSWORD } : null,
    demo: env.SIMKEEP_DEMO ?? null,
    sandbox,
    worker: env.SIMKEEP_WORKER,
    trustProxy: trustProxyOf(env.SIMKEEP_TRUST_PROXY) || null,
    // Off by default in sandbox mode: development, tests and acceptance runs sign many people up
    // from one loopback address. In production every client IP gets 20 an hour.
    registerLimitPerHour: env.SIMKEEP_REGISTER_LIMIT_PER_HOUR ?? (sandbox ? 0 : REGISTER_LIMIT_PER_HOUR_DEFAULT),
    renewDaysBefore: env.SIMKEEP_RENEW_DAYS_BEFORE,
    publicUrl: (env.SIMKEEP_PUBLIC_URL ?? httpUrlOf(env.HOST, env.PORT)).replace(/\/+$/, ''),
    publicUrlExplicit: env.SIMKEEP_PUBLIC_URL !== undefined,
    logLevel: env.SIMKEEP_LOG_LEVEL,
    simulatedCarrier: { latencyMs: env.SIMKEEP_SIM_CARRIER_LATENCY_MS, failureRate: env.SIMKEEP_SIM_CARRIER_FAILURE_RATE },
    providers: {
      stripe: group(env, ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'], (v) => ({ secretKey: v.STRIPE_SECRET_KEY, webhookSecret: v.STRIPE_WEBHOOK_SECRET })),
      alipay: group(env, ['ALIPAY_APP_ID', 'ALIPAY_PRIVATE_KEY', 'ALIPAY_PUBLIC_KEY'], (v) => ({
        appId: v.ALIPAY_APP_ID,
        privateKey: resolveKey('ALIPAY_PRIVATE_KEY', v.ALIPAY_PRIVATE_KEY, 'private'),
        publicKey: resolveKey('ALIPAY_PUBLIC_KEY', v.ALIPAY_PUBLIC_KEY, 'public'),
        flows: env.ALIPAY_FLOWS,
      })),
      wechatPay: wechatPayCredentials(env),
      paypal: group(env, ['PAYPAL_CLIENT_ID', 'PAYPAL_CLIENT_SECRET', 'PAYPAL_WEBHOOK_ID'], (v) => ({
        clientId: v.PAYPAL_CLIENT_ID, clientSecret: v.PAYPAL_CLIENT_SECRET, webhookId: v.PAYPAL_WEBHOOK_ID,
      })),
    },
    providerEndpoints: {
      alipayGatewayUrl: env.ALIPAY_GATEWAY_URL, wechatPayBaseUrl: env.WECHATPAY_BASE_URL, paypalBaseUrl: env.PAYPAL_BASE_URL,
      stripeApiBaseUrl: env.STRIPE_API_BASE_URL, wechatOauthBaseUrl: env.WECHAT_OAUTH_BASE_URL, wechatApiBaseUrl: env.WECHAT_API_BASE_URL,
    },
    metricsToken: env.SIMKEEP_METRICS_TOKEN ?? null,
    smtp,
    webhookAllowPrivate: env.SIMKEEP_WEBHOOK_ALLOW_PRIVATE,
  };
}
