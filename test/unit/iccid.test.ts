import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isIccid, parseIccid } from '../../src/domain/iccid.ts';
import { isLuhnValid, luhnCheckDigit, withLuhnCheckDigit } from '../../src/domain/luhn.ts';

const ICCID_19 = '8901410321111851072';
const ICCID_20 = '89441100682468700152';

/** A valid ICCID: `89`, random digits, computed Luhn check digit; 19 or 20 digits in all. */
const validIccid = fc
  .tuple(fc.constantFrom(16, 17), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 17, maxLength: 17 }))
  .map(([bodyLength, digits]) => withLuhnCheckDigit(`89${digits.slice(0, bodyLength).join('')}`));

describe('Luhn', () => {
  it('computes the check digit of the textbook example', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('79927398710')).toBe(false);
  });

  it('rejects non-digits and strings too short to carry a check digit', () => {
    expect(isLuhnValid('')).toBe(false);
    expect(isLuhnValid('0')).toBe(false);
    expect(isLuhnValid('7992739871a')).toBe(false);
    expect(() => luhnCheckDigit('12a')).toThrow();
  });
});

describe('ICCID', () => {
  it('accepts a 19-digit and a 20-digit ICCID and returns the digits', () => {
    expect(parseIccid(ICCID_19)).toEqual({ ok: true, value: ICCID_19 });
    expect(parseIccid(ICCID_20)).toEqual({ ok: true, value: ICCID_20 });
    expect(isIccid(ICCID_20)).toBe(true);
  });

  it('strips spaces, dashes and surrounding whitespace', () => {
    expect(parseIccid('8944 1100 6824 6870 0152')).toEqual({ ok: true, value: ICCID_20 });
    expect(parseIccid('8944-1100-6824-6870-015-2')).toEqual({ ok: true, value: ICCID_20 });
    expect(parseIccid(`  ${ICCID_19}\n`)).toEqual({ ok: true, value: ICCID_19 });
  });

  it('strips one trailing F filler from carrier feeds', () => {
    expect(parseIccid(`${ICCID_19}F`)).toEqual({ ok: true, value: ICCID_19 });
    expect(parseIccid(`${ICCID_19}f`)).toEqual({ ok: true, value: ICCID_19 });
    expect(parseIccid('8901 4103 2111 1851 072F')).toEqual({ ok: true, value: ICCID_19 });
  });

  it('rejects more than one filler or a filler anywhere else', () => {
    expect(parseIccid(`${ICCID_19}FF`).ok).toBe(false);
    expect(parseIccid(`F${ICCID_19}`).ok).toBe(false);
    expect(parseIccid(`${ICCID_19.slice(0, 10)}F${ICCID_19.slice(10)}`).ok).toBe(false);
  });

  it('rejects a wrong Luhn check digit', () => {
    const result = parseIccid('8901410321111851073');
    expect(result).toMatchObject({ ok: false, code: 'invalid_iccid' });
  });

  it('rejects an ICCID not starting with 89', () => {
    expect(parseIccid(withLuhnCheckDigit('880141032111185107')).ok).toBe(false);
    expect(parseIccid(withLuhnCheckDigit('980141032111185107')).ok).toBe(false);
  });

  it('rejects lengths other than 19 or 20 digits', () => {
    expect(parseIccid(withLuhnCheckDigit('89014103211118510')).ok).toBe(false); // 18
    expect(parseIccid(withLuhnCheckDigit('89014103211118510712')).ok).toBe(false); // 21
    expect(parseIccid('').ok).toBe(false);
    expect(parseIccid('89').ok).toBe(false);
  });

  it('rejects letters, other separators and oversized input', () => {
    expect(parseIccid('8901410321111851O72').ok).toBe(false);
    expect(parseIccid('8901.4103.2111.1851.072').ok).toBe(false);
    expect(parseIccid('+8901410321111851072').ok).toBe(false);
    expect(parseIccid(`${' '.repeat(60)}${ICCID_19}`).ok).toBe(false);
  });

  it('accepts any generated valid ICCID', () => {
    fc.assert(fc.property(validIccid, (iccid) => {
      expect(parseIccid(iccid)).toEqual({ ok: true, value: iccid });
    }));
  });

  it('rejects any single-digit change of a valid ICCID', () => {
    fc.assert(
      fc.property(validIccid, fc.nat(), fc.integer({ min: 1, max: 9 }), (iccid, position, delta) => {
        const index = position % iccid.length;
        const changed = (Number(iccid[index]) + delta) % 10;
        const mutated = `${iccid.slice(0, index)}${changed}${iccid.slice(index + 1)}`;
        expect(parseIccid(mutated).ok).toBe(false);
      }),
    );
  });

  it('parses spaced, dashed and F-padded forms to the same digits', () => {
    fc.assert(
      fc.property(
        validIccid,
        fc.array(fc.constantFrom('', ' ', '-', '  '), { minLength: 20, maxLength: 20 }),
        fc.constantFrom('', 'F', 'f'),
        (iccid, separators, filler) => {
          const formatted = [...iccid].map((digit, i) => `${digit}${separators[i] ?? ''}`).join('') + filler;
          expect(parseIccid(formatted)).toEqual({ ok: true, value: iccid });
        },
      ),
    );
  });
});
