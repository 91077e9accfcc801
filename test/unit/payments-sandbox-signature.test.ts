import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { signSandboxPayload, verifySandboxSignature } from '../../src/adapters/payments/sandbox-signature.ts';
import { SignatureError } from '../../src/adapters/payments/types.ts';

const key = randomBytes(32);
const body = '{"id":"evt_1","paymentId":"pay_1","outcome":"succeeded"}';
const signedAt = new Date('2025-01-01T00:00:00Z');

describe('sandbox webhook signature', () => {
  it('accepts its own signature within 300 s', () => {
    const header = signSandboxPayload(key, body, signedAt);
    expect(header).toMatch(/^t=1735689600,v1=[0-9a-f]{64}$/);
    expect(() => verifySandboxSignature(key, header, body, new Date(signedAt.getTime() + 300_000))).not.toThrow();
  });

  it('rejects a tampered body, a wrong key, a stale or future timestamp and a missing header', () => {
    const header = signSandboxPayload(key, body, signedAt);
    expect(() => verifySandboxSignature(key, header, body.replace('succeeded', 'failed'), signedAt)).toThrow(SignatureError);
    expect(() => verifySandboxSignature(randomBytes(32), header, body, signedAt)).toThrow(SignatureError);
    expect(() => verifySandboxSignature(key, header, body, new Date(signedAt.getTime() + 301_000))).toThrow(SignatureError);
    expect(() => verifySandboxSignature(key, header, body, new Date(signedAt.getTime() - 301_000))).toThrow(SignatureError);
    expect(() => verifySandboxSignature(key, undefined, body, signedAt)).toThrow(SignatureError);
    expect(() => verifySandboxSignature(key, '', body, signedAt)).toThrow(SignatureError);
  });

  it('rejects a header whose timestamp was changed to look fresh', () => {
    const header = signSandboxPayload(key, body, signedAt).replace('t=1735689600', 't=1735689700');
    expect(() => verifySandboxSignature(key, header, body, new Date(signedAt.getTime() + 100_000))).toThrow(SignatureError);
  });

  it('rejects malformed headers', () => {
    for (const bad of ['t=abc,v1=00', 'v1=' + 'a'.repeat(64), 't=1735689600', 'garbage', 'x'.repeat(2000)]) {
      expect(() => verifySandboxSignature(key, bad, body, signedAt), bad).toThrow(SignatureError);
    }
  });
});
