import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretDecryptionError, decryptSecret, encryptSecret, hashesEqual, keyedHash } from '../../src/modules/secrets/service.ts';

const KEY = randomBytes(32);
const CODE = 'LPA:1$smdp.example.com$MATCHING-ID-0001';

describe('secrets at rest (AES-256-GCM)', () => {
  it('decrypts what it encrypted', () => {
    const stored = encryptSecret(KEY, CODE, 'sim:1');
    expect(stored.startsWith('v1:')).toBe(true);
    expect(stored).not.toContain('MATCHING');
    expect(decryptSecret(KEY, stored, 'sim:1')).toBe(CODE);
  });

  it('uses a fresh IV every time: the same secret never encrypts the same way twice', () => {
    const a = encryptSecret(KEY, CODE);
    const b = encryptSecret(KEY, CODE);
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(3), 'base64').subarray(0, 12)).not.toEqual(Buffer.from(b.slice(3), 'base64').subarray(0, 12));
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const raw = Buffer.from(encryptSecret(KEY, CODE).slice(3), 'base64');
    for (const offset of [0, 12, raw.length - 1]) {
      const tampered = Buffer.from(raw);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      expect(() => decryptSecret(KEY, `v1:${tampered.toString('base64')}`)).toThrow(SecretDecryptionError);
    }
  });

  it('refuses another key, other associated data, a truncated value and an unknown version', () => {
    const stored = encryptSecret(KEY, CODE, 'sim:1');
    expect(() => decryptSecret(randomBytes(32), stored, 'sim:1')).toThrow(SecretDecryptionError);
    expect(() => decryptSecret(KEY, stored, 'sim:2')).toThrow(SecretDecryptionError);
    expect(() => decryptSecret(KEY, 'v1:AAAA')).toThrow(SecretDecryptionError);
    expect(() => decryptSecret(KEY, `v2:${stored.slice(3)}`)).toThrow(SecretDecryptionError);
  });

  it('never puts the plaintext in an error message', () => {
    const stored = encryptSecret(KEY, CODE, 'sim:1');
    try {
      decryptSecret(KEY, stored, 'other');
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain('MATCHING');
    }
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => encryptSecret(randomBytes(16), CODE)).toThrow();
  });
});

describe('keyed hashes', () => {
  it('depend on the key and the purpose, and compare in constant time', () => {
    const pin = keyedHash(KEY, 'pin', '1234');
    expect(pin).toMatch(/^[0-9a-f]{64}$/);
    expect(hashesEqual(pin, keyedHash(KEY, 'pin', '1234'))).toBe(true);
    expect(hashesEqual(pin, keyedHash(KEY, 'other', '1234'))).toBe(false);
    expect(hashesEqual(pin, keyedHash(randomBytes(32), 'pin', '1234'))).toBe(false);
    expect(hashesEqual(pin, '')).toBe(false);
  });
});
