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

  it('accepts 1 to 15 digits', () => {
    expect(isMsisdn('+1')).toBe(true);
    expect(isMsisdn('+123456789012345')).toBe(true);
    expect(parseMsisdn('+1234567890123456')).toMatchObject({ ok: false, code: 'invalid_msisdn' });
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
        fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 14 }),
        fc.array(fc.constantFrom('', ' ', '-', '(', ')'), { minLength: 15, maxLength: 15 }),
        (first, rest, separators) => {
          const digits = `${first}${rest.join('')}`;
          const formatted = `+${[...digits].map((digit, i) => `${separators[i] ?? ''}${digit}`).join('')}`;
          expect(parseMsisdn(formatted)).toEqual({ ok: true, value: `+${digits}` });
        },
      ),
    );
  });
});
