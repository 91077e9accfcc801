import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isImsi, parseImsi } from '../../src/domain/imsi.ts';

describe('IMSI', () => {
  it('accepts a 15-digit IMSI and splits off the MCC', () => {
    expect(parseImsi('310150123456789')).toEqual({ ok: true, value: { imsi: '310150123456789', mcc: '310' } });
    expect(parseImsi('234150999999999')).toEqual({ ok: true, value: { imsi: '234150999999999', mcc: '234' } });
  });

  it('accepts the shortest IMSI: MCC 3 + MNC 2 + MSIN 1', () => {
    expect(isImsi('001011')).toBe(true);
    expect(isImsi('00101')).toBe(false);
  });

  it('rejects more than 15 digits', () => {
    expect(parseImsi('3101501234567890')).toMatchObject({ ok: false, code: 'invalid_imsi' });
  });

  it('rejects letters, separators and empty input', () => {
    expect(isImsi('31015012345678F')).toBe(false);
    expect(isImsi('310 150 123456789')).toBe(false);
    expect(isImsi('310-150-123456789')).toBe(false);
    expect(isImsi('')).toBe(false);
  });

  it('trims surrounding whitespace from feeds', () => {
    expect(parseImsi(' 310150123456789\n')).toEqual({ ok: true, value: { imsi: '310150123456789', mcc: '310' } });
  });

  it('rejects MCCs E.212 does not assign: 000, the rest of 0xx, 1xx and 8xx', () => {
    for (const imsi of ['000011234567890', '002011234567890', '099011234567890', '100011234567890', '199991234567890', '800011234567890', '899991234567890']) {
      expect(parseImsi(imsi)).toMatchObject({ ok: false, code: 'invalid_imsi', message: expect.stringContaining(`MCC ${imsi.slice(0, 3)}`) });
    }
  });

  it('accepts the test network 001, the regions 2–7 and the worldwide 9xx (901: shared international operators)', () => {
    for (const imsi of ['001011234567890', '234151234567890', '310260123456789', '454001234567890', '505011234567890', '655011234567890', '722071234567890', '901281234567890']) {
      expect(isImsi(imsi)).toBe(true);
    }
  });

  it('accepts every digit string of 6 to 15 digits with an assignable MCC, and nothing else', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 20 }), (digits) => {
        const imsi = digits.join('');
        const result = parseImsi(imsi);
        const mcc = imsi.slice(0, 3);
        const assignable = mcc === '001' || /^[2-79]/.test(mcc);
        expect(result.ok).toBe(imsi.length >= 6 && imsi.length <= 15 && assignable);
        if (result.ok) expect(result.value.mcc).toBe(mcc);
      }),
    );
  });
});
