import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  formatActivationCode,
  iosInstallUrl,
  isActivationCode,
  parseActivationCode,
  redactActivationCode,
  type ActivationCode,
} from '../../src/domain/activation-code.ts';

function parsed(input: string): ActivationCode {
  const result = parseActivationCode(input);
  if (!result.ok) throw new Error(`expected ${input} to parse: ${result.message}`);
  return result.value;
}

const label = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?$/);
const fqdn = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[A-Za-z]{2,6}$/))
  .map(([labels, tld]) => [...labels, tld].join('.'));
const matchingId = fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Z0-9-]{1,40}$/), fc.stringMatching(/^[\x21-\x23\x25-\x7E]{1,20}$/));
const oid = fc.oneof(fc.constant(''), fc.array(fc.nat({ max: 99_999 }), { minLength: 1, maxLength: 8 }).map((arcs) => `1.${arcs.join('.')}`));
const ciPkid = fc.oneof(fc.constant(''), fc.stringMatching(/^(?:[0-9A-F]{2}){1,20}$/));
const delNotif = fc.option(fc.stringMatching(/^[\x21-\x23\x25-\x7E]{1,10}$/), { nil: undefined });

/** Any string the grammar produces, including trailing empty optional fields. */
const validCode = fc
  .record({ fqdn, matchingId, oid, flag: fc.constantFrom('', '1'), ciPkid, delNotif, extraEmpty: fc.nat({ max: 3 }) })
  .map(({ fqdn: address, matchingId: id, oid: smdpOid, flag, ciPkid: pkid, delNotif: notif, extraEmpty }) => {
    const fields = ['1', address, id, smdpOid, flag, pkid];
    if (notif !== undefined) return [...fields, notif].join('$');
    let count = fields.length;
    while (count > 3 && fields[count - 1] === '') count -= 1;
    return fields.slice(0, Math.min(fields.length, count + extraEmpty)).join('$');
  });

describe('eSIM activation code', () => {
  it('parses the minimal form', () => {
    expect(parsed('1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815')).toEqual({
      smdpAddress: 'SMDP.EXAMPLE.COM',
      matchingId: '04386-AGYFT-A74Y8-3F815',
      confirmationCodeRequired: false,
      fieldCount: 3,
    });
  });

  it('accepts an empty Matching ID followed by an OID', () => {
    expect(parsed('1$SMDP.EXAMPLE.COM$$1.3.6.1.4.1.31746')).toMatchObject({
      matchingId: '',
      smdpOid: '1.3.6.1.4.1.31746',
      confirmationCodeRequired: false,
    });
  });

  it('reads $$1 as confirmation code required without an OID', () => {
    const code = parsed('1$smdp.example.com$MATCHID$$1');
    expect(code.confirmationCodeRequired).toBe(true);
    expect(code.smdpOid).toBeUndefined();
  });

  it('parses every field', () => {
    expect(parsed('1$smdp.example.com$MATCHID$1.3.6.1.4.1.31746$1$F54172BDF98A95D6$DN1')).toEqual({
      smdpAddress: 'smdp.example.com',
      matchingId: 'MATCHID',
      smdpOid: '1.3.6.1.4.1.31746',
      confirmationCodeRequired: true,
      ciPkid: 'F54172BDF98A95D6',
      delNotif: 'DN1',
      fieldCount: 7,
    });
  });

  it('accepts the LPA: prefix of QR codes', () => {
    expect(parsed('LPA:1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815').matchingId).toBe('04386-AGYFT-A74Y8-3F815');
  });

  it('remembers the LPA: prefix, so formatting a parsed code gives back the string it came from', () => {
    expect(parsed('LPA:1$a.com$M')).toMatchObject({ lpaPrefix: true });
    expect(parsed('1$a.com$M')).not.toHaveProperty('lpaPrefix');
    expect(formatActivationCode(parsed('LPA:1$a.com$M'))).toBe('LPA:1$a.com$M');
    expect(formatActivationCode(parsed('1$a.com$M'))).toBe('1$a.com$M');
    // An explicit option wins either way: QR payloads get the prefix, storage drops it.
    expect(formatActivationCode(parsed('LPA:1$a.com$M'), { lpaPrefix: false })).toBe('1$a.com$M');
    expect(formatActivationCode(parsed('1$a.com$M'), { lpaPrefix: true })).toBe('LPA:1$a.com$M');
  });

  it('accepts trailing empty optional fields, as the nested grammar allows', () => {
    expect(parsed('1$a.example.com$ID$')).toMatchObject({ matchingId: 'ID', fieldCount: 4 });
    expect(parsed('1$a.example.com$ID$$')).toMatchObject({ confirmationCodeRequired: false, fieldCount: 5 });
    expect(parsed('1$a.example.com$ID$$$')).toMatchObject({ fieldCount: 6 });
  });

  it('rejects an empty DelNotif, the one field its group requires', () => {
    expect(isActivationCode('1$a.example.com$ID$$$$')).toBe(false);
  });

  it('rejects a format other than 1', () => {
    expect(parseActivationCode('2$SMDP.EXAMPLE.COM$ID')).toMatchObject({ ok: false, code: 'invalid_activation_code' });
    expect(isActivationCode('$SMDP.EXAMPLE.COM$ID')).toBe(false);
    expect(isActivationCode('01$SMDP.EXAMPLE.COM$ID')).toBe(false);
  });

  it('rejects too few or too many fields', () => {
    expect(isActivationCode('1$SMDP.EXAMPLE.COM')).toBe(false);
    expect(isActivationCode('1$')).toBe(false);
    expect(isActivationCode('')).toBe(false);
    expect(isActivationCode('LPA:')).toBe(false);
    expect(isActivationCode('1$SMDP.EXAMPLE.COM$ID$1.2$1$AB$X$Y')).toBe(false);
  });

  it('rejects an SM-DP+ address that is not a domain name', () => {
    for (const address of ['', 'smdp', 'smdp..example.com', '-smdp.example.com', 'smdp-.example.com', 'smdp.example.com.',
      'smdp.example.com:8443', 'smdp_x.example.com', '10.0.0.1', `${'a'.repeat(64)}.com`, 'smdp example.com']) {
      expect(isActivationCode(`1$${address}$ID`), address).toBe(false);
    }
  });

  it('rejects a Matching ID with spaces or control characters', () => {
    expect(isActivationCode('1$smdp.example.com$MATCH ID')).toBe(false);
    expect(isActivationCode('1$smdp.example.com$MATCH\tID')).toBe(false);
    expect(isActivationCode('1$smdp.example.com$MATCH\u0000ID')).toBe(false);
    expect(isActivationCode('1$smdp.example.com$MATCHÉ')).toBe(false);
  });

  it('rejects an OID that is not dotted decimal', () => {
    for (const bad of ['1', '1.', '.1', '1..2', '1.3.a', '3.1', '1.03', ' 1.3']) {
      expect(isActivationCode(`1$smdp.example.com$ID$${bad}`), bad).toBe(false);
    }
  });

  it('rejects a confirmation flag other than 1', () => {
    expect(isActivationCode('1$smdp.example.com$ID$$0')).toBe(false);
    expect(isActivationCode('1$smdp.example.com$ID$$true')).toBe(false);
  });

  it('rejects a CI public key id that is not whole hex bytes', () => {
    expect(isActivationCode('1$smdp.example.com$ID$$$ABC')).toBe(false);
    expect(isActivationCode('1$smdp.example.com$ID$$$XYZ0')).toBe(false);
  });

  it('rejects surrounding whitespace and a lowercase prefix, so every accepted string round-trips', () => {
    expect(isActivationCode(' 1$smdp.example.com$ID')).toBe(false);
    expect(isActivationCode('1$smdp.example.com$ID\n')).toBe(false);
    expect(isActivationCode('lpa:1$smdp.example.com$ID')).toBe(false);
    expect(isActivationCode(`1$smdp.example.com$${'A'.repeat(1100)}`)).toBe(false);
  });

  it('formats a code built from scratch in its shortest form', () => {
    expect(formatActivationCode({ smdpAddress: 'smdp.example.com', matchingId: 'ID', confirmationCodeRequired: true })).toBe(
      '1$smdp.example.com$ID$$1',
    );
    expect(formatActivationCode({ smdpAddress: 'smdp.example.com', matchingId: '', confirmationCodeRequired: false })).toBe(
      '1$smdp.example.com$',
    );
    expect(
      formatActivationCode({ smdpAddress: 'smdp.example.com', matchingId: 'ID', confirmationCodeRequired: false }, { lpaPrefix: true }),
    ).toBe('LPA:1$smdp.example.com$ID');
  });

  it('refuses to format an invalid code', () => {
    expect(() => formatActivationCode({ smdpAddress: 'smdp.example.com', matchingId: 'A$B', confirmationCodeRequired: false })).toThrow();
    expect(() =>
      formatActivationCode({ smdpAddress: 'smdp.example.com', matchingId: 'ID', smdpOid: '1.2', confirmationCodeRequired: false, fieldCount: 3 }),
    ).toThrow();
  });

  it('round-trips every generated valid code, with and without the LPA: prefix', () => {
    fc.assert(
      fc.property(validCode, (text) => {
        const code = parsed(text);
        expect(formatActivationCode(code)).toBe(text);
        expect(formatActivationCode(parsed(`LPA:${text}`))).toBe(`LPA:${text}`);
        expect(formatActivationCode(parsed(`LPA:${text}`), { lpaPrefix: false })).toBe(text);
        expect(formatActivationCode(code, { lpaPrefix: true })).toBe(`LPA:${text}`);
      }),
    );
  });

  it('round-trips every string the parser accepts', () => {
    const alphabet = fc.constantFrom('1', '$', '$', '$', 'a', 'B', '.', '-', '2', '0', 'AB', ' ', 'LPA:');
    // A valid head makes accepted strings common; the random tail probes every field.
    const head = fc.constantFrom('', '1$', '1$a.B', '1$smdp.example.com$', 'LPA:1$a.bc$');
    const text = fc.tuple(head, fc.array(alphabet, { maxLength: 24 })).map(([start, parts]) => `${start}${parts.join('')}`);
    let accepted = 0;
    fc.assert(
      fc.property(text, (candidate) => {
        const result = parseActivationCode(candidate);
        if (!result.ok) return;
        accepted += 1;
        // Unconditionally: the parsed value alone says whether the prefix was there.
        expect(formatActivationCode(result.value)).toBe(candidate);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('builds the iOS install link from the LPA string', () => {
    const expected =
      'https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=LPA%3A1%24SMDP.EXAMPLE.COM%2404386-AGYFT-A74Y8-3F815';
    expect(iosInstallUrl('LPA:1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815')).toBe(expected);
    expect(iosInstallUrl('1$SMDP.EXAMPLE.COM$04386-AGYFT-A74Y8-3F815')).toBe(expected);
    expect(() => iosInstallUrl('2$SMDP.EXAMPLE.COM$ID')).toThrow();
  });

  it('keeps the Matching ID out of the redacted form', () => {
    const code = parsed('1$smdp.example.com$SECRET-123$1.3.6.1$1');
    expect(redactActivationCode(code)).toBe('1$smdp.example.com$[redacted]$1.3.6.1$1');
    expect(redactActivationCode(code)).not.toContain('SECRET');
  });
});
