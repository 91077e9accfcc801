// Password hashing (argon2id, OWASP parameters) and the password policy: at least 10 characters,
// not in the bundled list of common passwords (top passwords of 10+ characters from the OWASP
// SecLists "10 million" list, lower-cased), and not the account's email or its local part.
import { readFileSync } from 'node:fs';
import { hash, verify, type Options } from '@node-rs/argon2';
import type { FieldError } from '../../domain/errors.ts';

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/** @node-rs/argon2's `Algorithm` is an ambient const enum; 2 is its Argon2id member. */
const ARGON2ID = 2 as NonNullable<Options['algorithm']>;
const ARGON2_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

let commonPasswords: Set<string> | null = null;
function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean),
  );
  return commonPasswords.has(password.toLowerCase());
}

export function checkPasswordPolicy(password: string, email: string): FieldError | null {
  if (password.length < PASSWORD_MIN_LENGTH) {
    return { path: 'password', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` };
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return { path: 'password', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` };
  }
  const lower = password.trim().toLowerCase();
  const emailLower = email.trim().toLowerCase();
  if (lower === emailLower || lower === emailLower.split('@')[0]) {
    return { path: 'password', message: 'must not be your email address' };
  }
  if (isCommonPassword(password)) return { path: 'password', message: 'is too common; choose another one' };
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Verifying against this when the email is unknown keeps both answers equally slow, so response
// time does not reveal whether an account exists.
let dummyHash: Promise<string> | null = null;
export async function burnVerification(password: string): Promise<void> {
  dummyHash ??= hashPassword('simkeep-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
}
