// Owns the IMSI (subscriber identity on the SIM, ITU-T E.212): MCC (3) + MNC (2–3) + MSIN, at
// most 15 digits. The MNC length depends on the MCC's numbering plan, so only the MCC is split off.
//
// MCC ranges (E.212): the first digit is the region — 2 Europe, 3 North America, 4 Asia, 5
// Oceania, 6 Africa, 7 South/Central America, 9 worldwide (901 is the shared MCC of international
// operators, used by IoT and travel eSIMs, so 9xx is kept). 0 holds only the test network MCC 001;
// 1xx and 8xx are not assigned. So 000, 002–199 and 800–899 are refused: such an IMSI is a typo or
// a column shifted in a feed, and could not attach to any network.
import { fail, ok, type Result } from './result.ts';

export interface Imsi {
  readonly imsi: string;
  readonly mcc: string;
}

/** MCC 3 + MNC at least 2 + MSIN at least 1 digit. */
const IMSI_MIN_DIGITS = 6;
const IMSI_MAX_DIGITS = 15;
const TEST_NETWORK_MCC = '001';

function isAssignableMcc(mcc: string): boolean {
  if (!/^[0-9]{3}$/.test(mcc)) return false;
  if (mcc === TEST_NETWORK_MCC) return true;
  const region = mcc[0];
  return region !== '0' && region !== '1' && region !== '8';
}

/** Digits only (surrounding whitespace from feeds is trimmed, nothing inside is stripped). */
export function parseImsi(input: string): Result<Imsi, 'invalid_imsi'> {
  const imsi = input.trim();
  if (!/^[0-9]+$/.test(imsi)) return fail('invalid_imsi', 'IMSI must contain digits only');
  if (imsi.length < IMSI_MIN_DIGITS || imsi.length > IMSI_MAX_DIGITS) {
    return fail('invalid_imsi', `IMSI must have ${IMSI_MIN_DIGITS} to ${IMSI_MAX_DIGITS} digits`);
  }
  const mcc = imsi.slice(0, 3);
  if (!isAssignableMcc(mcc)) {
    return fail('invalid_imsi', `IMSI starts with MCC ${mcc}, which E.212 does not assign (000, 002–199 and 8xx are not country codes)`);
  }
  return ok({ imsi, mcc });
}

export function isImsi(input: string): boolean {
  return parseImsi(input).ok;
}
