// Owns the IMSI (subscriber identity on the SIM, ITU-T E.212): MCC (3) + MNC (2–3) + MSIN, at
// most 15 digits. The MNC length depends on the MCC's numbering plan, so only the MCC is split off.
import { fail, ok, type Result } from './result.ts';

export interface Imsi {
  readonly imsi: string;
  readonly mcc: string;
}

/** MCC 3 + MNC at least 2 + MSIN at least 1 digit. */
export const IMSI_MIN_DIGITS = 6;
export const IMSI_MAX_DIGITS = 15;

/** Digits only (surrounding whitespace from feeds is trimmed, nothing inside is stripped). */
export function parseImsi(input: string): Result<Imsi, 'invalid_imsi'> {
  const imsi = input.trim();
  if (!/^[0-9]+$/.test(imsi)) return fail('invalid_imsi', 'IMSI must contain digits only');
  if (imsi.length < IMSI_MIN_DIGITS || imsi.length > IMSI_MAX_DIGITS) {
    return fail('invalid_imsi', `IMSI must have ${IMSI_MIN_DIGITS} to ${IMSI_MAX_DIGITS} digits`);
  }
  return ok({ imsi, mcc: imsi.slice(0, 3) });
}

export function isImsi(input: string): boolean {
  return parseImsi(input).ok;
}
