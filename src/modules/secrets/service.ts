// Secrets at rest: AES-256-GCM encryption and keyed hashes under the server key (SIMKEEP_SECRET_KEY,
// 32 bytes). Invariants: a fresh random 12-byte IV per encryption (never reused under one key);
// the stored form is `v1:` + base64(iv | tag | ciphertext), so the format can change by version;
// optional associated data binds a ciphertext to its row (a copied value fails to decrypt);
// nothing here logs, and errors never carry plaintext.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invariant } from '../../domain/invariant.ts';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION_PREFIX = 'v1:';

/** A stored secret that does not decrypt: tampered, copied to another row, or another key. */
export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

function checkKey(key: Buffer): void {
  invariant(key.length === SECRET_KEY_BYTES, `the secret key must be ${SECRET_KEY_BYTES} bytes`);
}

export function encryptSecret(key: Buffer, plaintext: string, associatedData?: string): string {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (associatedData !== undefined) cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return VERSION_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
}

export function decryptSecret(key: Buffer, stored: string, associatedData?: string): string {
  checkKey(key);
  if (!stored.startsWith(VERSION_PREFIX)) throw new SecretDecryptionError('unknown secret format');
  const raw = Buffer.from(stored.slice(VERSION_PREFIX.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretDecryptionError('stored secret is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  if (associatedData !== undefined) decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptionError('stored secret failed authentication');
  }
}

/**
 * HMAC-SHA256 of `value` under the server key, separated by `purpose` (a hash made for one use is
 * never valid for another). Hex. For low-entropy secrets that must be checked fast in bulk (card
 * PINs); its strength rests on the key staying secret, not on slowness.
 */
export function keyedHash(key: Buffer, purpose: string, value: string): string {
  checkKey(key);
  return createHmac('sha256', key).update(purpose).update('\0').update(value).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
