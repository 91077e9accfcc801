// Owns the MSISDN (the phone number) in E.164 form: `+`, a country code that never starts with 0,
// at most 15 digits in all. Stored and compared only in the normalised `+digits` form.
import { fail, ok, type Result } from './result.ts';

export const MSISDN_INPUT_MAX_CHARS = 64;
export const MSISDN_MAX_DIGITS = 15;

const E164 = /^\+[1-9][0-9]{0,14}$/;

/**
 * Accepts the usual human formatting — spaces, dashes and parentheses, e.g. `+1 (555) 010-0199` —
 * but requires the leading `+`: without it a national number is ambiguous.
 */
export function parseMsisdn(input: string): Result<string, 'invalid_msisdn'> {
  if (input.length > MSISDN_INPUT_MAX_CHARS) return fail('invalid_msisdn', 'phone number is too long');
  const compact = input.trim().replace(/[ ()-]/g, '');
  if (!E164.test(compact)) {
    return fail('invalid_msisdn', 'phone number must be + and 1 to 15 digits (E.164), not starting with 0');
  }
  return ok(compact);
}

export function isMsisdn(input: string): boolean {
  return parseMsisdn(input).ok;
}
