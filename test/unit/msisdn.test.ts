import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isMsisdn, parseMsisdn } from '../../src/domain/msisdn.ts';

describe('MSISDN', () => {
  it('accepts E.164 and keeps +digits', () => {
    expect(parseMsisdn('+15550100199')).toEqual({ ok: true, value: '+15550100199' });
    expect(parseMsisdn('+447700900123')).toEqual({ ok: true, value: '+447700900123' });
  });

  it('strips spaces, dashes and parentheses', () => {
    expect(parseMsisdn('+1 (555) 010-0199')).toEqual({ ok: true, value: '+15550100199' });
    expect(parseMsisdn(' +44 7700 900123 ')).toEqual({ ok: true, value: '+447700900123' });
    expect(parseMsisdn('+86 138-0013-8000')).toEqual({ ok: true, value: '+8613800138000' });
  });

  it('accepts 7 to 15 digits: the shortest numbers in service (+683 1234) to the E.164 maximum', () => {
    expect(isMsisdn('+6831234')).toBe(true);
    expect(isMsisdn('+123456789012345')).toBe(true);
    expect(parseMsisdn('+1234567890123456')).toMatchObject({ ok: false, code: 'invalid_msisdn' });
  });

  it('rejects a number too short to be a line: a country code alone or a fragment', () => {
    for (const fragment of ['+1', '+44', '+44 20', '+86 138', '+683123']) {
      expect(parseMsisdn(fragment)).toMatchObject({ ok: false, code: 'invalid_msisdn' });
    }
  });

  it('rejects the bracketed national trunk prefix instead of keeping its 0', () => {
    for (const input of ['+44 (0) 7700 900001', '+44(0)7700900001', '+44 ( 0 ) 7700 900001', '+(0)447700900001']) {
      expect(parseMsisdn(input)).toMatchObject({ ok: false, code: 'invalid_msisdn', message: expect.stringContaining('(0)') });
    }
    // Brackets around real digits stay fine.
    expect(parseMsisdn('+1 (212) 555-0100')).toEqual({ ok: true, value: '+12125550100' });
    expect(parseMsisdn('+44 (20) 7946 0000')).toEqual({ ok: true, value: '+442079460000' });
  });

  it('rejects a 0 right after the +, however it is spaced', () => {
    for (const input of ['+0447700900001', '+ 0447700900001', '+-0447700900001']) expect(isMsisdn(input)).toBe(false);
  });

  it('rejects a missing +, a leading 0 and a bare +', () => {
    expect(isMsisdn('15550100199')).toBe(false);
    expect(isMsisdn('+05550100199')).toBe(false);
    expect(isMsisdn('+')).toBe(false);
    expect(isMsisdn('')).toBe(false);
  });

  it('rejects letters, dots, a second + and oversized input', () => {
    expect(isMsisdn('+1555CALLNOW')).toBe(false);
    expect(isMsisdn('+1.555.010.0199')).toBe(false);
    expect(isMsisdn('++15550100199')).toBe(false);
    expect(isMsisdn('+1555010019+9')).toBe(false);
    expect(isMsisdn(`+1${' '.repeat(70)}5550100199`)).toBe(false);
  });

  it('normalises any formatting of a valid number to the same +digits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 6, maxLength: 14 }),
        fc.array(fc.constantFrom('', ' ', '-', '(', ')'), { minLength: 15, maxLength: 15 }),
        (first, rest, separators) => {
          const digits = `${first}${rest.join('')}`;
          const formatted = `+${[...digits].map((digit, i) => `${separators[i] ?? ''}${digit}`).join('')}`;
          // A lone 0 in brackets is the trunk prefix, refused on purpose (tested above).
          fc.pre(!/\(\s*0\s*\)/.test(formatted));
          expect(parseMsisdn(formatted)).toEqual({ ok: true, value: `+${digits}` });
        },
      ),
    );
  });
});
