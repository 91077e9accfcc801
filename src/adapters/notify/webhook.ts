// Signed webhooks to a subscriber's URL. The body is signed as Stripe does it (API.md):
// `Simkeep-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the user's secret.
// SSRF: the URL is checked when it is saved (`checkWebhookUrl`) and again at every delivery — and
// at delivery the check sits in the socket's own DNS lookup, so the address connected to is the
// address judged (a name that resolves to a public address at check time and to 127.0.0.1 a moment
// later is still refused). No redirects are followed; the answer's body is not read beyond a bound.
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './address-policy.ts';

const SIGNATURE_HEADER = 'Simkeep-Signature';
export const WEBHOOK_URL_LENGTH_MAX = 2_048;
const WEBHOOK_TIMEOUT_MS = 5_000;
/** Bytes of a receiver's answer kept for the delivery's error (the rest is drained unread). */
const ERROR_BODY_BYTES_MAX = 200;

/** Why a URL may not receive webhooks; the message names the reason, never a secret. */
export class WebhookUrlNotAllowedError extends Error {
  override name = 'WebhookUrlNotAllowedError';
}

class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
}

export function signatureHeaderValue(secret: string, timestampSeconds: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

/** The URL's syntax: http or https, a host, no credentials. Throws WebhookUrlNotAllowedError. */
function parseWebhookUrl(value: string): URL {
  if (value.length > WEBHOOK_URL_LENGTH_MAX) throw new WebhookUrlNotAllowedError(`the URL is longer than ${WEBHOOK_URL_LENGTH_MAX} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookUrlNotAllowedError('not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlNotAllowedError('only https:// and http:// URLs receive webhooks');
  if (url.username !== '' || url.password !== '') throw new WebhookUrlNotAllowedError('the URL must not carry credentials');
  if (url.hostname === '') throw new WebhookUrlNotAllowedError('the URL has no host');
  return url;
}

/** The host as DNS and isIP know it: IPv6 literals without their brackets. */
const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

function resolveAll(host: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });
}

/**
 * Syntax, then every address the host resolves to must be public (unless `allowPrivate`, for tests
 * and closed networks). A host that does not resolve is refused too: nothing could be delivered.
 */
export async function checkWebhookUrl(value: string, allowPrivate: boolean): Promise<URL> {
  const url = parseWebhookUrl(value);
  if (allowPrivate) return url;
  const host = bareHost(url);
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await resolveAll(host)).map((a) => a.address);
    } catch {
      throw new WebhookUrlNotAllowedError(`the host ${host} does not resolve`);
    }
  }
  if (addresses.length === 0 || !addresses.every(isPublicAddress)) {
    throw new WebhookUrlNotAllowedError(`the host ${host} resolves to a loopback, private, link-local or otherwise non-public address`);
  }
  return url;
}

/** The socket's DNS lookup, refusing non-public answers: the connection goes only where the check looked. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
    if (error) return callback(error, '', 4);
    const list = addresses as unknown as LookupAddress[];
    const refused = list.find((a) => !isPublicAddress(a.address));
    if (refused || list.length === 0) {
      return callback(new WebhookUrlNotAllowedError(`the host ${hostname} resolves to a non-public address`), '', 4);
    }
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    const first = list[0] as LookupAddress;
    callback(null, first.address, first.family);
  });
};

export interface WebhookPost {
  url: string;
  body: string;
  secret: string;
  /** Signature timestamp: wall-clock seconds (receivers compare it with their own clock). */
  timestampSeconds: number;
  allowPrivate: boolean;
  timeoutMs?: number;
}

/** POSTs the signed body; resolves with the status on 2xx, throws WebhookDeliveryError otherwise. */
export async function postSignedWebhook(post: WebhookPost): Promise<{ status: number }> {
  const url = parseWebhookUrl(post.url);
  const host = bareHost(url);
  if (!post.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    throw new WebhookUrlNotAllowedError(`the address ${host} is not public`);
  }
  const options: RequestOptions = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(post.body),
      'user-agent': 'simkeep-webhooks/1',
      [SIGNATURE_HEADER]: signatureHeaderValue(post.secret, post.timestampSeconds, post.body),
    },
    timeout: post.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
    ...(post.allowPrivate ? {} : { lookup: publicOnlyLookup }),
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, options, (res) => {
      const status = res.statusCode ?? 0;
      let kept = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (kept.length < ERROR_BODY_BYTES_MAX) kept += chunk.slice(0, ERROR_BODY_BYTES_MAX - kept.length);
      });
      res.on('end', () => {
        if (status >= 200 && status < 300) resolve({ status });
        else reject(new WebhookDeliveryError(`the receiver answered ${status}${kept ? `: ${kept}` : ''}`));
      });
      res.on('error', (error) => reject(new WebhookDeliveryError(`reading the answer failed: ${error.message}`)));
    });
    req.on('timeout', () => req.destroy(new WebhookDeliveryError(`no answer within ${options.timeout} ms`)));
    req.on('error', (error) => reject(error instanceof WebhookDeliveryError || error instanceof WebhookUrlNotAllowedError
      ? error : new WebhookDeliveryError(`cannot reach the receiver: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
    req.end(post.body);
  });
}
