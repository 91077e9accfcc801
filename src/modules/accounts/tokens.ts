// Bearer tokens: high-entropy random secrets handed out once; only their SHA-256 is stored, so a
// database leak yields no usable token. The CSRF token for cookie sessions is an HMAC of the
// session token's hash under the server key: nothing to store, and it cannot be forged.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type TokenKind = 'session' | 'api';

export function newTokenSecret(kind: TokenKind): string {
  return `sk_${kind === 'session' ? 'sess' : 'api'}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function csrfTokenFor(secretKey: Buffer, sessionToken: string): string {
  return createHmac('sha256', secretKey).update(`csrf:${hashToken(sessionToken)}`).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
