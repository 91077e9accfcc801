// Owns the MSISDN (the phone number) in E.164 form: `+`, a country code that never starts with 0,
// at most 15 digits in all. Stored and compared only in the normalised `+digits` form.
//
// Plausibility floor: at least MSISDN_MIN_DIGITS (7) digits in all. E.164 sets only the maximum
// (15); the shortest numbers in service are 7 digits with the country code (e.g. Niue +683 and
// Saint Helena +290 have 4-digit subscriber numbers), so anything shorter — `+1`, `+44 20` — is a
// typo or a fragment, never a line. Per-country lengths are not checked: numbering plans change,
// and a rejected real number strands a paying customer.
import { fail, ok, type Result } from './result.ts';

const MSISDN_INPUT_MAX_CHARS = 64;
const MSISDN_MIN_DIGITS = 7;
const MSISDN_MAX_DIGITS = 15;

const E164 = /^\+[1-9][0-9]{6,14}$/;
// `+44 (0) 7700 900001`: the national trunk prefix, written in brackets for callers at home. Dialled
// internationally the 0 is dropped, so keeping it would store a different (wrong) number.
const BRACKETED_TRUNK_ZERO = /\(\s*0\s*\)/;

/**
 * Accepts the usual human formatting — spaces, dashes and parentheses, e.g. `+1 (555) 010-0199` —
 * but requires the leading `+` (without it a national number is ambiguous), refuses a bracketed
 * trunk `(0)` and a 0 right after the `+` (no country code starts with 0).
 */
export function parseMsisdn(input: string): Result<string, 'invalid_msisdn'> {
  if (input.length > MSISDN_INPUT_MAX_CHARS) return fail('invalid_msisdn', 'phone number is too long');
  if (BRACKETED_TRUNK_ZERO.test(input)) {
    return fail('invalid_msisdn', 'leave out the national trunk prefix "(0)": in E.164 it is not dialled');
  }
  const compact = input.trim().replace(/[ ()-]/g, '');
  if (!E164.test(compact)) {
    return fail('invalid_msisdn',
      `phone number must be + and ${MSISDN_MIN_DIGITS} to ${MSISDN_MAX_DIGITS} digits (E.164, country code included), not starting with 0`);
  }
  return ok(compact);
}

export function isMsisdn(input: string): boolean {
  return parseMsisdn(input).ok;
}
