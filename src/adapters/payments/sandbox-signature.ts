// The sandbox provider's webhook signature: `Simkeep-Sandbox-Signature: t=<unix s>,v1=<hex>` where
// v1 = HMAC-SHA256(key, `${t}.${body}`), deliberately the same scheme as Stripe's `Stripe-Signature`
// (https://docs.stripe.com/webhooks#verify-manually) so the sandbox exercises the same failure
// modes: tampered body, wrong key, stale timestamp (300 s), missing header.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from './types.ts';

export const SANDBOX_SIGNATURE_HEADER = 'Simkeep-Sandbox-Signature';
const SANDBOX_SIGNATURE_TOLERANCE_SECONDS = 300;
/** Bounds the work done on an attacker-supplied header. */
const SIGNATURE_HEADER_LENGTH_MAX = 1_024;
const SIGNATURES_PER_HEADER_MAX = 8;

function hmacHex(key: Buffer, timestampSeconds: number, body: string): string {
  return createHmac('sha256', key).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

/** The header value for `body` signed at `now`. */
export function signSandboxPayload(key: Buffer, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmacHex(key, t, body)}`;
}

/**
 * Throws SignatureError unless one `v1` in `header` is the HMAC of `body` and `t` is at most
 * 300 s from `now` (either way: a future timestamp is as suspicious as a stale one).
 */
export function verifySandboxSignature(key: Buffer, header: string | undefined, body: string, now: Date): void {
  if (header === undefined || header === '') throw new SignatureError('missing sandbox signature header');
  if (header.length > SIGNATURE_HEADER_LENGTH_MAX) throw new SignatureError('sandbox signature header too long');
  let timestampSeconds: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestampSeconds = Number(value);
    if (name === 'v1' && /^[0-9a-f]{64}$/.test(value) && signatures.length < SIGNATURES_PER_HEADER_MAX) {
      signatures.push(value);
    }
  }
  if (timestampSeconds === undefined || signatures.length === 0) {
    throw new SignatureError('malformed sandbox signature header');
  }
  const expected = Buffer.from(hmacHex(key, timestampSeconds, body), 'hex');
  // Compare against every candidate without stopping early, so timing reveals nothing.
  let matched = false;
  for (const candidate of signatures) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  if (!matched) throw new SignatureError('sandbox signature mismatch');
  const ageSeconds = Math.abs(Math.floor(now.getTime() / 1000) - timestampSeconds);
  if (ageSeconds > SANDBOX_SIGNATURE_TOLERANCE_SECONDS) throw new SignatureError('sandbox signature timestamp outside tolerance');
}
