// A line's nickname is shown back to its owner, in the portal, in e-mails and in the console. It
// may hold any letters, digits, emoji (including zero-width joiners) and punctuation, but no
// control characters (Unicode Cc: U+0000–U+001F, U+007F–U+009F — a BEL or an ANSI escape would
// ring or recolour an operator's terminal) and no bidirectional embeddings, overrides or isolates
// (U+202A–U+202E, U+2066–U+2069), which reorder the text around them so that "\u202Eevil" displays
// as something else than it is (the "Trojan Source" trick).
import { validation } from '../../domain/errors.ts';

export const NICKNAME_MAX_CHARS = 64;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/** The trimmed nickname, or null for an empty one; 422 invalid_nickname for text that must not be shown. */
export function normaliseNickname(input: string | null | undefined, path = 'nickname'): string | null {
  const trimmed = input?.trim() ?? '';
  if (trimmed === '') return null;
  const found = FORBIDDEN.exec(trimmed);
  if (found) {
    const codePoint = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    const message = `contains ${codePoint}: control characters and bidirectional overrides are not allowed`;
    throw validation('invalid_nickname', `the nickname ${message}`, [{ path, message }]);
  }
  if ([...trimmed].length > NICKNAME_MAX_CHARS) {
    const message = `must be at most ${NICKNAME_MAX_CHARS} characters`;
    throw validation('invalid_nickname', `the nickname ${message}`, [{ path, message }]);
  }
  return trimmed;
}
