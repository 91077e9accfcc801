// Owns the EID (eUICC identifier of an eSIM chip, GSMA SGP.29): 32 digits, `89` prefix, and the
// whole number mod 97 equal to 1 (ISO 7064 MOD 97-10, the IBAN check).
import { fail, ok, type Result } from './result.ts';

const EID_INPUT_MAX_CHARS = 64;

const EID_SHAPE = /^89[0-9]{30}$/;

/** Accepts spaces between digit groups (as printed on device boxes); returns the 32 digits. */
export function parseEid(input: string): Result<string, 'invalid_eid'> {
  if (input.length > EID_INPUT_MAX_CHARS) return fail('invalid_eid', 'EID is too long');
  const digits = input.trim().replace(/ /g, '');
  if (!EID_SHAPE.test(digits)) return fail('invalid_eid', 'EID must be 32 digits starting with 89');
  // 32 digits exceed 2^53, so the check is done in BigInt to stay exact.
  if (BigInt(digits) % 97n !== 1n) return fail('invalid_eid', 'EID check digits are wrong');
  return ok(digits);
}

export function isEid(input: string): boolean {
  return parseEid(input).ok;
}

/** The two check digits that make `body30` (30 digits starting with 89) a valid EID. */
export function eidCheckDigits(body30: string): string {
  const check = 98n - ((BigInt(body30) * 100n) % 97n);
  return check.toString().padStart(2, '0');
}
