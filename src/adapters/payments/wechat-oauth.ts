// WeChat's web authorisation (网页授权) with scope `snsapi_base`, the silent step that tells a page
// inside WeChat who the payer is: the browser goes to
// `open.weixin.qq.com/connect/oauth2/authorize?appid=…&redirect_uri=…&response_type=code&scope=snsapi_base&state=…#wechat_redirect`,
// WeChat sends it back to redirect_uri with `code` and `state`, and the server exchanges the code
// (once, within 5 minutes) at `api.weixin.qq.com/sns/oauth2/access_token` for the payer's `openid`
// under that AppID — what a JSAPI order names as `payer.openid`. No user information is asked for.
import { Deadline, PROVIDER_OPERATION_MS_DEFAULT, ProviderRejectedError, fetchProvider, parseJsonObject, readString } from './types.ts';

export const WECHAT_OAUTH_BASE_URL = 'https://open.weixin.qq.com';
export const WECHAT_API_BASE_URL = 'https://api.weixin.qq.com';
/** WeChat's openid is 28 characters today; anything past this bound is not one. */
const OPENID_CHARS_MAX = 128;

export interface WechatOauthOptions {
  appId: string;
  appSecret: string;
  oauthBaseUrl?: string;
  apiBaseUrl?: string;
  /** The time budget of the exchange; ≤ 14 000 (API.md: 503 within 15 s). */
  timeoutMs?: number;
}

export class WechatOauth {
  private readonly oauthBaseUrl: string;
  private readonly apiBaseUrl: string;

  constructor(private readonly options: WechatOauthOptions) {
    this.oauthBaseUrl = (options.oauthBaseUrl ?? WECHAT_OAUTH_BASE_URL).replace(/\/+$/, '');
    this.apiBaseUrl = (options.apiBaseUrl ?? WECHAT_API_BASE_URL).replace(/\/+$/, '');
  }

  get appId(): string {
    return this.options.appId;
  }

  /** Where the payer's browser goes; WeChat requires the parameters in this order and the `#wechat_redirect` fragment. */
  authorizeUrl(redirectUri: string, state: string): string {
    const query = [
      `appid=${encodeURIComponent(this.options.appId)}`, `redirect_uri=${encodeURIComponent(redirectUri)}`,
      'response_type=code', 'scope=snsapi_base', `state=${encodeURIComponent(state)}`,
    ].join('&');
    return `${this.oauthBaseUrl}/connect/oauth2/authorize?${query}#wechat_redirect`;
  }

  /**
   * The code → openid exchange. WeChat answers `{access_token, expires_in, refresh_token, openid,
   * scope}` or `{errcode, errmsg}` (40029 invalid code, 40163 code used): a refusal is a
   * ProviderRejectedError carrying the errcode; unreachable is ProviderUnavailableError.
   */
  async openidForCode(code: string): Promise<string> {
    const query = new URLSearchParams({
      appid: this.options.appId, secret: this.options.appSecret, code, grant_type: 'authorization_code',
    });
    const deadline = Deadline.after(this.options.timeoutMs ?? PROVIDER_OPERATION_MS_DEFAULT);
    const response = await fetchProvider('wechat_pay', `${this.apiBaseUrl}/sns/oauth2/access_token?${query.toString()}`, {
      method: 'GET', headers: { accept: 'application/json', 'user-agent': 'simkeep' },
    }, deadline);
    const answer = parseJsonObject(response.text, 'wechat oauth answer');
    const errcode = answer['errcode'];
    if (typeof errcode === 'number' && errcode !== 0) {
      throw new ProviderRejectedError(`wechat oauth refused the code: ${errcode}`, response.status, String(errcode));
    }
    const openid = readString(answer, 'openid');
    if (response.status !== 200 || openid === undefined || openid === '' || openid.length > OPENID_CHARS_MAX) {
      throw new ProviderRejectedError('wechat oauth answered without an openid', response.status, undefined);
    }
    return openid;
  }
}
