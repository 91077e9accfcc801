import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eidCheckDigits, isEid, parseEid } from '../../src/domain/eid.ts';

const GSMA_EXAMPLE_EID = '89049032123451234512345678901235';

/** body (30 digits, `89…`) + (98 − (body × 100 mod 97)), zero-padded. */
const validEid = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 28, maxLength: 28 })
  .map((digits) => {
    const body = `89${digits.join('')}`;
    const check = 98n - ((BigInt(body) * 100n) % 97n);
    return `${body}${check.toString().padStart(2, '0')}`;
  });

describe('EID', () => {
  it('accepts the GSMA example EID', () => {
    expect(parseEid(GSMA_EXAMPLE_EID)).toEqual({ ok: true, value: GSMA_EXAMPLE_EID });
    expect(isEid(GSMA_EXAMPLE_EID)).toBe(true);
  });

  it('accepts spaces between digit groups', () => {
    expect(parseEid('89049032 12345 12345 12345678901235')).toEqual({ ok: true, value: GSMA_EXAMPLE_EID });
    expect(parseEid(` ${GSMA_EXAMPLE_EID} `)).toEqual({ ok: true, value: GSMA_EXAMPLE_EID });
  });

  it('rejects wrong check digits', () => {
    expect(parseEid('89049032123451234512345678901234')).toMatchObject({ ok: false, code: 'invalid_eid' });
  });

  it('rejects a wrong prefix, a wrong length, letters and dashes', () => {
    const body = '880490321234512345123456789012';
    expect(parseEid(`${body}${eidCheckDigits(body)}`).ok).toBe(false);
    expect(parseEid(GSMA_EXAMPLE_EID.slice(0, 31)).ok).toBe(false);
    expect(parseEid(`${GSMA_EXAMPLE_EID}0`).ok).toBe(false);
    expect(parseEid(GSMA_EXAMPLE_EID.replace('9', 'A')).ok).toBe(false);
    expect(parseEid('89049032-12345-12345-12345678901235').ok).toBe(false);
    expect(parseEid('').ok).toBe(false);
  });

  it('computes check digits that make the number ≡ 1 mod 97', () => {
    expect(eidCheckDigits(GSMA_EXAMPLE_EID.slice(0, 30))).toBe('35');
  });

  it('accepts any generated valid EID', () => {
    fc.assert(fc.property(validEid, (eid) => {
      expect(parseEid(eid)).toEqual({ ok: true, value: eid });
    }));
  });

  it('rejects any single-digit change of a valid EID', () => {
    fc.assert(
      fc.property(validEid, fc.nat(), fc.integer({ min: 1, max: 9 }), (eid, position, delta) => {
        const index = position % eid.length;
        const changed = (Number(eid[index]) + delta) % 10;
        expect(parseEid(`${eid.slice(0, index)}${changed}${eid.slice(index + 1)}`).ok).toBe(false);
      }),
    );
  });
});
