// Who pays inside WeChat: the payer's openid under simkeep's AppID (table `wechat_payers`), learnt
// once through WeChat's silent snsapi_base authorisation and named by every later JSAPI order.
// The `state` round trip is bound to the signed-in user (an HMAC under the server key), so a code
// obtained in someone else's browser session cannot attach their WeChat to this account.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderRejectedError, ProviderUnavailableError } from '../../adapters/payments/types.ts';
import type { Queryable } from '../../db/types.ts';
import { DomainError, validation } from '../../domain/errors.ts';
import type { PaymentProviders } from './registry.ts';

const STATE_BYTES = 16;

export async function wechatOpenidOf(q: Queryable, userId: string, appId: string): Promise<string | null> {
  const { rows } = await q.query<{ openid: string }>('SELECT openid FROM wechat_payers WHERE user_id = $1 AND app_id = $2', [userId, appId]);
  return rows[0]?.openid ?? null;
}

/** The latest authorisation wins (the user may have switched WeChat accounts); idempotent. */
async function saveWechatOpenid(q: Queryable, input: { userId: string; appId: string; openid: string; now: Date }): Promise<void> {
  await q.query(
    `INSERT INTO wechat_payers (user_id, app_id, openid, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (user_id, app_id) DO UPDATE SET openid = EXCLUDED.openid, updated_at = EXCLUDED.updated_at`,
    [input.userId, input.appId, input.openid, input.now],
  );
}

function stateFor(secretKey: Buffer, userId: string): string {
  return createHmac('sha256', secretKey).update(`wechat-oauth-state:${userId}`).digest().subarray(0, STATE_BYTES).toString('hex');
}

function stateHolds(secretKey: Buffer, userId: string, state: string): boolean {
  const expected = Buffer.from(stateFor(secretKey, userId), 'hex');
  const given = /^[0-9a-f]+$/.test(state) ? Buffer.from(state, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface WechatPayerDeps {
  db: Queryable;
  providers: PaymentProviders;
  secretKey: Buffer;
  publicUrl: () => string;
  now: () => Date;
}

/** GET /payments/wechat/payer: whether a JSAPI order can be placed now, else where to authorise. */
export interface WechatPayerState {
  ready: boolean;
  authorizeUrl: string | null;
}

/**
 * Ready when nobody needs an openid (the sandbox takes wechat_pay orders) or simkeep holds this
 * user's; otherwise the authorisation URL returning to `returnTo` (a path of this site), or null when
 * JSAPI is not offered (WECHATPAY_FLOWS without it, or no WECHAT_APP_SECRET): the client shows the QR.
 */
export async function wechatPayerState(deps: WechatPayerDeps, userId: string, returnTo: string): Promise<WechatPayerState> {
  const setup = deps.providers.wechatPayer;
  if (setup === null) return { ready: true, authorizeUrl: null };
  if (!setup.jsapiOffered) return { ready: false, authorizeUrl: null };
  if ((await wechatOpenidOf(deps.db, userId, setup.appId)) !== null) return { ready: true, authorizeUrl: null };
  if (setup.oauth === null) return { ready: false, authorizeUrl: null };
  return { ready: false, authorizeUrl: setup.oauth.authorizeUrl(`${deps.publicUrl()}${returnTo}`, stateFor(deps.secretKey, userId)) };
}

/** POST /payments/wechat/payer: exchanges the code WeChat returned for the openid and keeps it. */
export async function authorizeWechatPayer(deps: WechatPayerDeps, userId: string, input: { code: string; state: string }): Promise<WechatPayerState> {
  const setup = deps.providers.wechatPayer;
  if (setup === null) return { ready: true, authorizeUrl: null };
  if (setup.oauth === null) {
    throw validation('payment_flow_unavailable', 'WeChat authorisation is not configured (WECHAT_APP_SECRET): JSAPI payments are not offered');
  }
  if (!stateHolds(deps.secretKey, userId, input.state)) {
    throw validation('wechat_authorization_invalid', 'the state does not belong to this session: start the WeChat authorisation again');
  }
  let openid: string;
  try {
    openid = await setup.oauth.openidForCode(input.code);
  } catch (err) {
    if (err instanceof ProviderUnavailableError) throw new DomainError('unavailable', 'provider_unavailable', 'WeChat cannot be reached; retry');
    if (err instanceof ProviderRejectedError) {
      throw validation('wechat_authorization_invalid', `WeChat refused the authorisation code (${err.providerCode ?? err.httpStatus}): start it again`);
    }
    throw err;
  }
  await saveWechatOpenid(deps.db, { userId, appId: setup.appId, openid, now: deps.now() });
  return { ready: true, authorizeUrl: null };
}

/**
 * The openid a JSAPI order by the real WeChat Pay names, or 422 wechat_payer_unknown (before any
 * order is written) when simkeep has none for this user. Undefined when none is needed.
 */
export async function jsapiOpenid(q: Queryable, providers: PaymentProviders, userId: string, providerName: string): Promise<string | undefined> {
  const setup = providers.wechatPayer;
  if (providerName !== 'wechat_pay' || setup === null) return undefined;
  const openid = await wechatOpenidOf(q, userId, setup.appId);
  if (openid === null) {
    throw validation('wechat_payer_unknown', 'a JSAPI payment needs your WeChat authorisation first (GET /api/v1/payments/wechat/payer)');
  }
  return openid;
}
