// The password policy (API.md "Auth"), pure apart from reading the bundled list once: at least 10
// characters, not in the list of common passwords (top passwords of 10+ characters from the OWASP
// SecLists "10 million" list, lower-cased), and not the account's email or its local part.
// Lengths count Unicode code points of the trimmed password (five emoji are five characters, ten
// spaces are none), and comparisons use the NFKC form, so full-width or ligature spellings of a
// listed password or of the email are caught too. The password itself is hashed as typed.
import { readFileSync } from 'node:fs';
import type { FieldError } from '../../domain/errors.ts';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

let commonPasswords: Set<string> | null = null;
function isCommonPassword(normalized: string): boolean {
  commonPasswords ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean),
  );
  return commonPasswords.has(normalized);
}

const codePoints = (text: string): number => [...text].length;
const comparable = (text: string): string => text.normalize('NFKC').trim().toLowerCase();

export function checkPasswordPolicy(password: string, email: string): FieldError | null {
  const length = codePoints(password.trim());
  if (length < PASSWORD_MIN_LENGTH) {
    return { path: 'password', message: `must be at least ${PASSWORD_MIN_LENGTH} characters (not counting leading and trailing spaces)` };
  }
  if (codePoints(password) > PASSWORD_MAX_LENGTH) {
    return { path: 'password', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` };
  }
  const normalized = comparable(password);
  const emailNormalized = comparable(email);
  if (normalized === emailNormalized || normalized === emailNormalized.split('@')[0]) {
    return { path: 'password', message: 'must not be your email address' };
  }
  if (isCommonPassword(normalized)) return { path: 'password', message: 'is too common; choose another one' };
  return null;
}
