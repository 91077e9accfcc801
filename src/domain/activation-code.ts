// Owns the eSIM activation code (GSMA SGP.22 §4.1): strict parsing, exact formatting, and the
// iOS install link. The Matching ID inside is a secret (SPEC): callers encrypt it at rest and
// never log it — use `redactActivationCode` for logs.
//
// Grammar (SPEC.md, SGP.22 §4.1), fields separated by `$`, `$` never inside a field:
//   ["LPA:"] "1" "$" SMDP_FQDN "$" MatchingID
//            ["$" [SMDP_OID] ["$" ["1"] ["$" [CI_PKID] ["$" DelNotif]]]]
// Read exactly, every group after the Matching ID is "a `$`, an OPTIONAL field, an optional
// deeper group" — only DelNotif, the innermost, is not optional inside its group. So a string is
// 3 to 7 `$`-separated fields where fields 4–6 may be empty and field 7, when present, may not:
//   1$SMDP.EXAMPLE.COM$04386-AGYFT                       minimal
//   1$SMDP.EXAMPLE.COM$$1.3.6.1.4.1.31746               empty Matching ID, OID
//   1$smdp.example.com$MATCHID$$1                        confirmation code required, no OID
//   1$smdp.example.com$MATCHID$1.3.6.1.4.1.31746$1$A0B1$X  every field
//   1$smdp.example.com$MATCHID$                          VALID: OID group present, OID omitted
//   1$smdp.example.com$MATCHID$$$                        VALID: three empty optional fields
//   1$smdp.example.com$MATCHID$$$$                       INVALID: DelNotif may not be empty
//   2$smdp.example.com$MATCHID                           INVALID: only format 1 exists
// Because trailing empty fields are legal yet carry no meaning, `parseActivationCode` records
// how many fields it saw (`fieldCount`) and whether the `LPA:` prefix was there (`lpaPrefix`), so
// `formatActivationCode(parse(x)) === x` for every accepted x, with or without the prefix. A code
// built from scratch (no `fieldCount`) formats to the shortest string, where an empty field
// appears only as the place holder of a later non-empty one, and without the prefix.
import { invariant } from './invariant.ts';
import { fail, ok, type Result } from './result.ts';

export interface ActivationCode {
  /** SM-DP+ address, a fully qualified domain name, kept in the case it was given. */
  readonly smdpAddress: string;
  /** SECRET. The AC token the SM-DP+ matches the download with; may be empty (default SM-DP+ flows). */
  readonly matchingId: string;
  readonly smdpOid?: string;
  /** The subscriber must type a confirmation code; the code itself is never in the activation code. */
  readonly confirmationCodeRequired: boolean;
  /** eSIM CA RootCA public key identifier, hex. */
  readonly ciPkid?: string;
  readonly delNotif?: string;
  /** How many `$`-separated fields the parsed string had (3–7); keeps trailing empty fields. */
  readonly fieldCount?: number;
  /** The parsed string began with `LPA:` (set only then); formatting keeps it unless told otherwise. */
  readonly lpaPrefix?: true;
}

export interface FormatOptions {
  /** Prefix `LPA:`, as inside a QR code (true), or never (false); by default as the code was parsed. */
  readonly lpaPrefix?: boolean;
}

export const LPA_PREFIX = 'LPA:';
const ACTIVATION_CODE_MAX_CHARS = 1024;
const IOS_INSTALL_URL_BASE = 'https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=';

const MIN_FIELDS = 3;
const MAX_FIELDS = 7;
const FQDN_MAX_CHARS = 253;
const FQDN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// An OID is dotted decimal arcs without leading zeros; the first arc is 0, 1 or 2 (X.660).
const OID = /^[0-2](?:\.(?:0|[1-9][0-9]*))+$/;
const OID_MAX_CHARS = 128;
// Typically uppercase alphanumerics and `-`; any printable ASCII but space and `$` is accepted,
// since SM-DP+ vendors differ and a rejected valid code strands a paid customer.
const TOKEN = /^[\x21-\x23\x25-\x7E]{1,255}$/;
// Key identifiers are whole bytes in hex (a SHA-1 key id is 40 hex digits).
const HEX_KEY_ID = /^(?:[0-9A-Fa-f]{2}){1,64}$/;

const INVALID = 'invalid_activation_code' as const;

export function parseActivationCode(input: string): Result<ActivationCode, 'invalid_activation_code'> {
  if (input.length > ACTIVATION_CODE_MAX_CHARS) return fail(INVALID, 'activation code is too long');
  const hadPrefix = input.startsWith(LPA_PREFIX);
  const body = hadPrefix ? input.slice(LPA_PREFIX.length) : input;
  const fields = body.split('$');
  if (fields.length < MIN_FIELDS || fields.length > MAX_FIELDS) {
    return fail(INVALID, 'activation code must have 3 to 7 $-separated fields');
  }
  const [format = '', smdpAddress = '', matchingId = '', smdpOid = '', flag = '', ciPkid = ''] = fields;
  const delNotif = fields[6];
  if (format !== '1') return fail(INVALID, 'activation code format must be 1');
  if (!isFqdn(smdpAddress)) return fail(INVALID, 'SM-DP+ address must be a domain name');
  if (matchingId !== '' && !TOKEN.test(matchingId)) return fail(INVALID, 'Matching ID has invalid characters');
  if (smdpOid !== '' && !isOid(smdpOid)) return fail(INVALID, 'SM-DP+ OID must be dotted decimal');
  if (flag !== '' && flag !== '1') return fail(INVALID, 'confirmation code flag must be 1 or empty');
  if (ciPkid !== '' && !HEX_KEY_ID.test(ciPkid)) return fail(INVALID, 'CI public key id must be hex bytes');
  if (delNotif !== undefined && !TOKEN.test(delNotif)) return fail(INVALID, 'DelNotif must be non-empty printable text');
  return ok({
    smdpAddress,
    matchingId,
    ...(smdpOid !== '' ? { smdpOid } : {}),
    confirmationCodeRequired: flag === '1',
    ...(ciPkid !== '' ? { ciPkid } : {}),
    ...(delNotif !== undefined ? { delNotif } : {}),
    fieldCount: fields.length,
    ...(hadPrefix ? { lpaPrefix: true as const } : {}),
  });
}

export function isActivationCode(input: string): boolean {
  return parseActivationCode(input).ok;
}

/** The activation code string; asserts the value is valid, since we only format codes we built or parsed. */
export function formatActivationCode(code: ActivationCode, options: FormatOptions = {}): string {
  const fields = ['1', code.smdpAddress, code.matchingId, code.smdpOid ?? '', code.confirmationCodeRequired ? '1' : '', code.ciPkid ?? ''];
  if (code.delNotif !== undefined) fields.push(code.delNotif);
  const shortest = shortestFieldCount(fields);
  const count = code.fieldCount ?? shortest;
  invariant(count >= shortest && count <= fields.length, `activation code fieldCount ${count} does not fit its fields`);
  const text = fields.slice(0, count).join('$');
  invariant(parseActivationCode(text).ok, 'formatting produced an invalid activation code');
  return (options.lpaPrefix ?? code.lpaPrefix === true) ? `${LPA_PREFIX}${text}` : text;
}

/**
 * The iOS 17.4+ one-tap install link. The `LPA:` prefix is added when missing, as Apple expects
 * the QR payload. The link contains the Matching ID: treat it as a secret too.
 */
export function iosInstallUrl(lpaString: string): string {
  const withPrefix = lpaString.startsWith(LPA_PREFIX) ? lpaString : `${LPA_PREFIX}${lpaString}`;
  invariant(parseActivationCode(withPrefix).ok, 'iosInstallUrl needs a valid activation code');
  return `${IOS_INSTALL_URL_BASE}${encodeURIComponent(withPrefix)}`;
}

/** The code with its Matching ID masked — the only form that may reach logs. */
export function redactActivationCode(code: ActivationCode): string {
  const masked = code.matchingId === '' ? '' : '[redacted]';
  const fields = ['1', code.smdpAddress, masked, code.smdpOid ?? '', code.confirmationCodeRequired ? '1' : '', code.ciPkid ?? ''];
  if (code.delNotif !== undefined) fields.push(code.delNotif);
  return fields.slice(0, shortestFieldCount(fields)).join('$');
}

/** Fields up to the last non-empty one; the three leading fields are always present. */
function shortestFieldCount(fields: readonly string[]): number {
  let count = fields.length;
  while (count > MIN_FIELDS && fields[count - 1] === '') count -= 1;
  return count;
}

function isFqdn(value: string): boolean {
  if (value.length === 0 || value.length > FQDN_MAX_CHARS) return false;
  const labels = value.split('.');
  // A single label is a host name, not an FQDN; an all-digit last label would be an IP address.
  if (labels.length < 2) return false;
  const last = labels[labels.length - 1] ?? '';
  return labels.every((label) => FQDN_LABEL.test(label)) && !/^[0-9]+$/.test(last);
}

function isOid(value: string): boolean {
  return value.length <= OID_MAX_CHARS && OID.test(value);
}
