// Password hashing (argon2id, OWASP parameters) and the dummy verification that keeps an unknown
// email as slow as a wrong password. The policy lives in password-policy.ts.
import { hash, verify, type Options } from '@node-rs/argon2';

export { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, checkPasswordPolicy } from './password-policy.ts';

/** @node-rs/argon2's `Algorithm` is an ambient const enum; 2 is its Argon2id member. */
const ARGON2ID = 2 as NonNullable<Options['algorithm']>;
const ARGON2_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

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
// time does not reveal whether an account exists. It is computed at start (preparePasswordHashing),
// so the first unknown-email login is not the one that pays for hashing it.
let dummyHash: Promise<string> | null = null;

/** Computes the dummy hash now; the composition root awaits this before serving. */
export function preparePasswordHashing(): Promise<string> {
  dummyHash ??= hashPassword('simkeep-dummy-password-for-timing');
  return dummyHash;
}

/** Whether the dummy hash was computed (tests: start-up did it, not the first login). */
export function isPasswordHashingPrepared(): boolean {
  return dummyHash !== null;
}

export async function burnVerification(password: string): Promise<void> {
  await verifyPassword(await preparePasswordHashing(), password);
}
