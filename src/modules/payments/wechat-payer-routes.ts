// HTTP for the WeChat payer step JSAPI payments need (README "Beyond API.md"): whether simkeep
// knows the signed-in subscriber's openid, WeChat's authorisation URL when it does not, and the
// exchange of the code WeChat sends back for the openid.
import type { AppDeps } from '../../app-deps.ts';
import { guard, principalOf } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import type { App } from '../../http/types.ts';
import { wechatPayerBody, wechatPayerQuery, wechatPayerSchema } from './schemas.ts';
import { authorizeWechatPayer, wechatPayerState, type WechatPayerDeps } from './wechat-payers.ts';

export function wechatPayerRoutes(app: App, deps: AppDeps): void {
  const tags = ['payments'];
  const payerDeps: WechatPayerDeps = {
    db: deps.db, providers: deps.payments, secretKey: deps.secretKey, publicUrl: deps.publicUrl, now: () => deps.clock.now(),
  };
  const customer = guard('authenticated');

  app.get('/api/v1/payments/wechat/payer', {
    schema: { tags, querystring: wechatPayerQuery, response: { 200: wechatPayerSchema, ...problemResponses(400, 401, 403) } }, onRequest: customer,
  }, async (request) => wechatPayerState(payerDeps, principalOf(request).userId, request.query.returnTo));

  app.post('/api/v1/payments/wechat/payer', {
    // 422 wechat_authorization_invalid (a state of another session, a code WeChat refused) or
    // payment_flow_unavailable (no WECHAT_APP_SECRET); 503 provider_unavailable (WeChat unreachable).
    schema: { tags, body: wechatPayerBody, response: { 200: wechatPayerSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 503) } }, onRequest: customer,
  }, async (request) => authorizeWechatPayer(payerDeps, principalOf(request).userId, request.body));
}
