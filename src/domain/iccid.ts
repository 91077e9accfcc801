// Owns the ICCID (SIM card number, ITU-T E.118): parsing operator/carrier/subscriber input into
// the stored form — 19 or 20 digits, `89` prefix, final Luhn check digit over all preceding ones.
import { isLuhnValid } from './luhn.ts';
import { fail, ok, type Result } from './result.ts';

/** Longest raw input looked at; a spaced-out 20-digit ICCID is far shorter. */
const ICCID_INPUT_MAX_CHARS = 64;

const ICCID_SHAPE = /^89[0-9]{17,18}$/;

/**
 * Accepts what people and carrier feeds actually send: surrounding whitespace, spaces and dashes
 * between digit groups (stripped), and ONE trailing `F`/`f` — the nibble filler some feeds keep
 * from the SIM's BCD encoding. Returns the normalised digits.
 */
export function parseIccid(input: string): Result<string, 'invalid_iccid'> {
  if (input.length > ICCID_INPUT_MAX_CHARS) return fail('invalid_iccid', 'ICCID is too long');
  let digits = input.trim().replace(/[ -]/g, '');
  // Only one filler: a feed never pads more than one nibble, so `FF` is garbage, not padding.
  if (digits.endsWith('F') || digits.endsWith('f')) digits = digits.slice(0, -1);
  if (!/^[0-9]*$/.test(digits)) return fail('invalid_iccid', 'ICCID must contain digits only');
  if (!ICCID_SHAPE.test(digits)) {
    return fail('invalid_iccid', 'ICCID must start with 89 and have 19 or 20 digits');
  }
  if (!isLuhnValid(digits)) return fail('invalid_iccid', 'ICCID check digit is wrong');
  return ok(digits);
}

export function isIccid(input: string): boolean {
  return parseIccid(input).ok;
}
