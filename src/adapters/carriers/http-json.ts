// The generic HTTP/JSON carrier (docs/carrier-http.md): simkeep POSTs a provisioning request to
// `{baseUrl}/requests` and asks `GET {baseUrl}/requests/{requestId}` where it stands. Every request
// is signed like simkeep's webhooks — `Simkeep-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">` under the carrier's own secret — and carries `Simkeep-Request-Id` (the order id):
// the carrier's idempotency key, so a request sent again after a timeout is applied once. The
// carrier answers 200 (done or failed) or 202 (accepted, a signed callback follows). Anything else —
// no connection, a timeout, another status, an answer that is not the protocol's JSON — is
// "unavailable" and retried: only an explicit `failed` is a refusal.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { CarrierUnavailableError, PROVISION_STATUSES, type CarrierAdapter, type ProvisionRequest, type ProvisionResult } from './types.ts';

export const CARRIER_SIGNATURE_HEADER = 'simkeep-signature';
export const CARRIER_REQUEST_ID_HEADER = 'simkeep-request-id';
/** How far a signature's timestamp may be from our wall clock, either way (replays, skew). */
export const CARRIER_SIGNATURE_TOLERANCE_SECONDS = 300;
export const CARRIER_TIMEOUT_MS_MIN = 100;
/** API.md: a carrier that cannot be reached shows within 15 s. */
export const CARRIER_TIMEOUT_MS_MAX = 15_000;
export const CARRIER_TIMEOUT_MS_DEFAULT = 10_000;
/** A carrier's answer is a small JSON object; more is not read. */
const ANSWER_BYTES_MAX = 64 * 1024;
/** Bounds the work done on an attacker-supplied header. */
const SIGNATURE_HEADER_LENGTH_MAX = 1_024;
const SIGNATURES_PER_HEADER_MAX = 8;

const answerSchema = z.object({
  status: z.enum(PROVISION_STATUSES),
  reference: z.string().min(1).max(255).optional(),
  reason: z.string().max(500).optional(),
});

/** A callback or request whose signature does not verify (missing, malformed, wrong, stale). */
export class CarrierSignatureError extends Error {
  override name = 'CarrierSignatureError';
}

function hmacHex(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

export function signCarrierPayload(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

/** Throws CarrierSignatureError unless one `v1` is the HMAC of `body` and `t` is within tolerance of `now`. */
export function verifyCarrierSignature(secret: string, header: string | undefined, body: string, now: Date): void {
  if (!header) throw new CarrierSignatureError('missing Simkeep-Signature header');
  if (header.length > SIGNATURE_HEADER_LENGTH_MAX) throw new CarrierSignatureError('signature header too long');
  let timestampSeconds: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.split('=', 2).map((x) => x.trim());
    if (name === 't' && value && /^\d{1,12}$/.test(value)) timestampSeconds = Number(value);
    if (name === 'v1' && value && /^[0-9a-f]{64}$/.test(value) && candidates.length < SIGNATURES_PER_HEADER_MAX) candidates.push(value);
  }
  if (timestampSeconds === undefined || candidates.length === 0) throw new CarrierSignatureError('malformed signature header');
  const expected = Buffer.from(hmacHex(secret, timestampSeconds, body), 'hex');
  // Every candidate is compared, so timing reveals nothing about which one came close.
  let matched = false;
  for (const candidate of candidates) if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  if (!matched) throw new CarrierSignatureError('signature mismatch');
  if (Math.abs(Math.floor(now.getTime() / 1000) - timestampSeconds) > CARRIER_SIGNATURE_TOLERANCE_SECONDS) {
    throw new CarrierSignatureError('signature timestamp outside tolerance');
  }
}

export interface HttpJsonCarrierOptions {
  /** `https://…` (plain http only on loopback: checked when an operator saves it). */
  baseUrl: string;
  secret: string;
  timeoutMs: number;
  /** Where the carrier sends its callback for this carrier (`…/api/v1/carriers/{code}/callbacks`). */
  callbackUrl: string;
  /** Wall time for signatures: the carrier compares them with its own clock, not the sandbox's. */
  now: () => Date;
}

interface RawAnswer {
  status: number;
  body: string;
}

export class HttpJsonCarrier implements CarrierAdapter {
  readonly name = 'http_json';

  constructor(private readonly options: HttpJsonCarrierOptions) {}

  async provision(request: ProvisionRequest): Promise<ProvisionResult> {
    const body = JSON.stringify({
      requestId: request.orderId, lineId: request.lineId, iccid: request.iccid, msisdn: request.msisdn,
      kind: request.kind, planId: request.planId, validityDays: request.validityDays, allowances: request.allowances,
      callbackUrl: this.options.callbackUrl,
    });
    return this.answerOf(await this.send('POST', '/requests', body, request.orderId), request.orderId);
  }

  async requestStatus(request: ProvisionRequest): Promise<ProvisionResult> {
    const answer = await this.send('GET', `/requests/${encodeURIComponent(request.orderId)}`, '', request.orderId);
    // The carrier never received it (the first POST was lost on the way): send it again, same id.
    if (answer.status === 404) return this.provision(request);
    return this.answerOf(answer, request.orderId);
  }

  private answerOf(answer: RawAnswer, requestId: string): ProvisionResult {
    if (answer.status !== 200 && answer.status !== 202) {
      throw new CarrierUnavailableError(`carrier answered ${answer.status} for request ${requestId}`);
    }
    let parsed: z.infer<typeof answerSchema>;
    try {
      parsed = answerSchema.parse(JSON.parse(answer.body));
    } catch {
      throw new CarrierUnavailableError(`carrier answered ${answer.status} without the protocol's JSON for request ${requestId}`);
    }
    if ((answer.status === 202) !== (parsed.status === 'accepted')) {
      throw new CarrierUnavailableError(`carrier answered ${answer.status} with status ${parsed.status} for request ${requestId}`);
    }
    return { status: parsed.status, reference: parsed.reference ?? requestId, ...(parsed.reason ? { reason: parsed.reason } : {}) };
  }

  private send(method: 'GET' | 'POST', path: string, body: string, requestId: string): Promise<RawAnswer> {
    const url = new URL(this.options.baseUrl.replace(/\/+$/, '') + path);
    const headers: Record<string, string | number> = {
      accept: 'application/json',
      'user-agent': 'simkeep-carrier/1',
      [CARRIER_REQUEST_ID_HEADER]: requestId,
      [CARRIER_SIGNATURE_HEADER]: signCarrierPayload(this.options.secret, body, this.options.now()),
    };
    if (method === 'POST') Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    const options: RequestOptions = { method, headers, timeout: this.options.timeoutMs };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<RawAnswer>((resolve, reject) => {
      const req = send(url, options, (res) => {
        let kept = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (kept.length < ANSWER_BYTES_MAX) kept += chunk.slice(0, ANSWER_BYTES_MAX - kept.length);
        });
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, body: kept });
        });
        res.on('error', (error) => reject(new CarrierUnavailableError(`reading the carrier's answer failed: ${error.message}`)));
      });
      // `timeout` only bounds idle gaps; the deadline bounds the whole exchange (a carrier dripping bytes).
      const giveUp = (): void => void req.destroy(new CarrierUnavailableError(`no answer from the carrier within ${this.options.timeoutMs} ms`));
      const deadline = setTimeout(giveUp, this.options.timeoutMs);
      req.on('close', () => clearTimeout(deadline));
      req.on('timeout', giveUp);
      req.on('error', (error) => reject(error instanceof CarrierUnavailableError
        ? error : new CarrierUnavailableError(`cannot reach the carrier: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
      req.end(method === 'POST' ? body : undefined);
    });
  }
}
