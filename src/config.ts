// The one place environment variables are read. Every variable of API.md's configuration table is
// parsed and validated here; a bad value stops start-up with a message naming the variable.
import { z } from 'zod';

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const port = z.coerce.number().int().min(0).max(65_535);

const envSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
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
  SIMKEEP_RENEW_DAYS_BEFORE: z.coerce.number().int().min(0).max(60).default(2),
  SIMKEEP_PUBLIC_URL: z.url('must be an http(s) URL').optional(),
  SIMKEEP_SIM_CARRIER_FAILURE_RATE: z.coerce.number().min(0, 'must be 0..1').max(1, 'must be 0..1').default(0),
  SIMKEEP_SIM_CARRIER_LATENCY_MS: z.coerce.number().int().min(0).max(10_000).default(50),
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
  PAYPAL_CLIENT_ID: z.string().min(1).optional(),
  PAYPAL_CLIENT_SECRET: z.string().min(1).optional(),
  PAYPAL_WEBHOOK_ID: z.string().min(1).optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  SIMKEEP_MAIL_FROM: z.string().min(3).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly database: { kind: 'pglite'; dataDir: string | null } | { kind: 'postgres'; url: string };
  /** Explicit key, or null: then it is generated into the data dir on the first embedded start. */
  readonly secretKeyHex: string | null;
  readonly admin: { email: string; password: string } | null;
  /** null = decide at start (seed when the embedded database is empty). */
  readonly demo: boolean | null;
  readonly sandbox: boolean;
  readonly worker: boolean;
  readonly renewDaysBefore: number;
  readonly publicUrl: string;
  readonly logLevel: Env['SIMKEEP_LOG_LEVEL'];
  /** The simulated carrier's behaviour (demo and tests): latency and share of failed requests. */
  readonly simulatedCarrier: { latencyMs: number; failureRate: number };
  readonly providers: ProviderCredentials;
  readonly smtp: { url: string; from: string } | null;
}

export interface ProviderCredentials {
  stripe?: { secretKey: string; webhookSecret: string };
  alipay?: { appId: string; privateKey: string; publicKey: string };
  wechatPay?: { mchId: string; appId?: string; apiV3Key: string; privateKey: string; certSerial: string; platformPublicKey: string };
  paypal?: { clientId: string; clientSecret: string; webhookId: string };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** All of a provider's variables, or none: a half-configured provider is a start-up error. */
function group<K extends keyof Env, T>(env: Env, keys: readonly K[], build: (v: Record<K, string>) => T): T | undefined {
  const present = keys.filter((k) => env[k] !== undefined);
  if (present.length === 0) return undefined;
  const missing = keys.filter((k) => env[k] === undefined);
  if (missing.length > 0) throw new ConfigError(`${missing.join(', ')} must be set together with ${present.join(', ')}`);
  return build(Object.fromEntries(keys.map((k) => [k, String(env[k])])) as Record<K, string>);
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
  const smtp = env.SMTP_URL ? { url: env.SMTP_URL, from: env.SIMKEEP_MAIL_FROM ?? 'simkeep <no-reply@simkeep.invalid>' } : null;
  return {
    env: nodeEnv,
    port: env.PORT,
    host: env.HOST,
    database: env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL } : { kind: 'pglite', dataDir: env.SIMKEEP_DATA_DIR },
    secretKeyHex: env.SIMKEEP_SECRET_KEY?.toLowerCase() ?? null,
    admin: env.SIMKEEP_ADMIN_EMAIL && env.SIMKEEP_ADMIN_PASSWORD ? { email: env.SIMKEEP_ADMIN_EMAIL, password: env.SIMKEEP_ADMIN_PASSWORD } : null,
    demo: env.SIMKEEP_DEMO ?? null,
    sandbox: env.SIMKEEP_SANDBOX ?? nodeEnv !== 'production',
    worker: env.SIMKEEP_WORKER,
    renewDaysBefore: env.SIMKEEP_RENEW_DAYS_BEFORE,
    publicUrl: (env.SIMKEEP_PUBLIC_URL ?? `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${env.PORT}`).replace(/\/$/, ''),
    logLevel: env.SIMKEEP_LOG_LEVEL,
    simulatedCarrier: { latencyMs: env.SIMKEEP_SIM_CARRIER_LATENCY_MS, failureRate: env.SIMKEEP_SIM_CARRIER_FAILURE_RATE },
    providers: {
      stripe: group(env, ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'], (v) => ({ secretKey: v.STRIPE_SECRET_KEY, webhookSecret: v.STRIPE_WEBHOOK_SECRET })),
      alipay: group(env, ['ALIPAY_APP_ID', 'ALIPAY_PRIVATE_KEY', 'ALIPAY_PUBLIC_KEY'], (v) => ({
        appId: v.ALIPAY_APP_ID, privateKey: v.ALIPAY_PRIVATE_KEY, publicKey: v.ALIPAY_PUBLIC_KEY,
      })),
      wechatPay: group(
        env,
        ['WECHATPAY_MCH_ID', 'WECHATPAY_API_V3_KEY', 'WECHATPAY_PRIVATE_KEY', 'WECHATPAY_CERT_SERIAL', 'WECHATPAY_PLATFORM_PUBLIC_KEY'],
        (v) => ({
          mchId: v.WECHATPAY_MCH_ID, appId: env.WECHATPAY_APP_ID, apiV3Key: v.WECHATPAY_API_V3_KEY, privateKey: v.WECHATPAY_PRIVATE_KEY,
          certSerial: v.WECHATPAY_CERT_SERIAL, platformPublicKey: v.WECHATPAY_PLATFORM_PUBLIC_KEY,
        }),
      ),
      paypal: group(env, ['PAYPAL_CLIENT_ID', 'PAYPAL_CLIENT_SECRET', 'PAYPAL_WEBHOOK_ID'], (v) => ({
        clientId: v.PAYPAL_CLIENT_ID, clientSecret: v.PAYPAL_CLIENT_SECRET, webhookId: v.PAYPAL_WEBHOOK_ID,
      })),
    },
    smtp,
  };
}
