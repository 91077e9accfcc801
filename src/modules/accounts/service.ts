// Accounts: users, their roles, login sessions and API tokens. Owns `users` and `auth_tokens`.
// Invariants: an email belongs to at most one user (unique index on lower(email) — registration
// races resolve there, not in code); a token is usable only while unexpired and unrevoked; the
// same 401 answers an unknown email and a wrong password, and repeated failures are throttled
// per IP and per account in the database, so limits hold across processes.
import type { Db, Queryable } from '../../db/types.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/types.ts';
import { DomainError, conflict, notFound, validation } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import type { Clock } from '../clock/service.ts';
import { hitThrottle, peekThrottle, resetThrottle, type ThrottleRule } from '../throttle/service.ts';
import { burnVerification, checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';
import { hashToken, newTokenSecret } from './tokens.ts';

export type Role = 'customer' | 'operator' | 'admin' | 'carrier';
export type Locale = 'en' | 'zh-CN';
export const LOCALES: readonly Locale[] = ['en', 'zh-CN'];

export const SESSION_TTL_DAYS = 30;
export const LOGIN_LIMIT_PER_ACCOUNT: ThrottleRule = { maxAttempts: 5, windowSeconds: 15 * 60 };
export const LOGIN_LIMIT_PER_IP: ThrottleRule = { maxAttempts: 30, windowSeconds: 15 * 60 };

export interface User {
  id: string;
  email: string;
  name: string | null;
  locale: Locale;
  role: Role;
}

export interface Principal {
  userId: string;
  role: Role;
  locale: Locale;
  tokenId: string;
  tokenKind: 'session' | 'api';
}

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  locale: Locale;
  role: Role;
  password_hash: string | null;
}

const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, name: r.name, locale: r.locale, role: r.role });
const DAY_MS = 86_400_000;

async function issueToken(
  db: Queryable,
  input: { userId: string; kind: 'session' | 'api'; expiresAt: Date | null; name?: string; createdBy?: string },
): Promise<{ id: string; token: string }> {
  const token = newTokenSecret(input.kind);
  const id = newId('tok');
  await db.query(
    `INSERT INTO auth_tokens (id, user_id, kind, token_hash, name, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, input.userId, input.kind, hashToken(token), input.name ?? null, input.createdBy ?? null, input.expiresAt],
  );
  return { id, token };
}

export interface RegisterInput {
  email: string;
  password: string;
  name?: string;
  locale?: Locale;
}

export async function register(db: Db, clock: Clock, input: RegisterInput): Promise<{ user: User; token: string }> {
  const email = input.email.trim();
  const policyError = checkPasswordPolicy(input.password, email);
  if (policyError) throw validation('weak_password', `password ${policyError.message}`, [policyError]);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<UserRow>(
        `INSERT INTO users (id, email, password_hash, name, locale, role) VALUES ($1, $2, $3, $4, $5, 'customer') RETURNING *`,
        [newId('usr'), email, passwordHash, input.name?.trim() || null, input.locale ?? 'en'],
      );
      const row = rows[0];
      if (!row) throw new Error('insert returned no row');
      const { token } = await issueToken(tx, { userId: row.id, kind: 'session', expiresAt: new Date(clock.now().getTime() + SESSION_TTL_DAYS * DAY_MS) });
      return { user: toUser(row), token };
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw conflict('email_taken', 'an account with this email already exists');
    throw error;
  }
}

function tooManyAttempts(retryAfterSeconds: number): DomainError {
  return new DomainError('rate_limited', 'too_many_attempts', `too many failed logins; try again in ${retryAfterSeconds} s`, {
    retryAfterSeconds,
  });
}

export async function login(
  db: Db,
  clock: Clock,
  input: { email: string; password: string; ip: string },
): Promise<{ user: User; token: string; tokenId: string }> {
  const now = clock.now();
  const accountKey = `login:account:${input.email.trim().toLowerCase()}`;
  const ipKey = `login:ip:${input.ip}`;
  const [byAccount, byIp] = await Promise.all([
    peekThrottle(db, accountKey, LOGIN_LIMIT_PER_ACCOUNT, now),
    peekThrottle(db, ipKey, LOGIN_LIMIT_PER_IP, now),
  ]);
  if (byAccount.blocked || byIp.blocked) throw tooManyAttempts(Math.max(byAccount.retryAfterSeconds, byIp.retryAfterSeconds));

  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [input.email.trim()]);
  const row = rows[0];
  let valid = false;
  if (row?.password_hash) valid = await verifyPassword(row.password_hash, input.password);
  else await burnVerification(input.password);

  if (!row || !valid) {
    await hitThrottle(db, accountKey, LOGIN_LIMIT_PER_ACCOUNT, now);
    await hitThrottle(db, ipKey, LOGIN_LIMIT_PER_IP, now);
    throw new DomainError('unauthenticated', 'invalid_credentials', 'the email or password is not correct');
  }
  await resetThrottle(db, accountKey);
  const issued = await issueToken(db, { userId: row.id, kind: 'session', expiresAt: new Date(now.getTime() + SESSION_TTL_DAYS * DAY_MS) });
  return { user: toUser(row), token: issued.token, tokenId: issued.id };
}

export async function logout(db: Queryable, clock: Clock, tokenId: string): Promise<void> {
  await db.query('UPDATE auth_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [tokenId, clock.now()]);
}

/** The principal behind a bearer or cookie token, or null when it is unknown, expired or revoked. */
export async function authenticate(db: Queryable, clock: Clock, token: string): Promise<Principal | null> {
  if (token.length > 200) return null;
  const { rows } = await db.query<{ token_id: string; kind: 'session' | 'api'; user_id: string; role: Role; locale: Locale }>(
    `SELECT t.id AS token_id, t.kind, u.id AS user_id, u.role, u.locale
       FROM auth_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)`,
    [hashToken(token), clock.now()],
  );
  const r = rows[0];
  return r ? { userId: r.user_id, role: r.role, locale: r.locale, tokenId: r.token_id, tokenKind: r.kind } : null;
}

export async function getUser(db: Queryable, userId: string): Promise<User> {
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [userId]);
  const row = rows[0];
  if (!row) throw notFound('not_found', 'user not found');
  return toUser(row);
}

export async function updateProfile(db: Queryable, userId: string, input: { name?: string | null; locale?: Locale }): Promise<User> {
  const { rows } = await db.query<UserRow>(
    `UPDATE users SET name = CASE WHEN $2 THEN $3 ELSE name END, locale = COALESCE($4, locale), updated_at = now()
      WHERE id = $1 RETURNING *`,
    [userId, input.name !== undefined, input.name?.trim() || null, input.locale ?? null],
  );
  const row = rows[0];
  if (!row) throw notFound('not_found', 'user not found');
  return toUser(row);
}

/** The admin named in configuration exists after start: created, or its password and role set. */
export async function ensureAdmin(db: Db, admin: { email: string; password: string }): Promise<User> {
  const passwordHash = await hashPassword(admin.password);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<UserRow>(
      `INSERT INTO users (id, email, password_hash, name, role) VALUES ($1, $2, $3, 'Administrator', 'admin')
       ON CONFLICT (lower(email)) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'admin', updated_at = now()
       RETURNING *`,
      [newId('usr'), admin.email.trim(), passwordHash],
    );
    const row = rows[0];
    if (!row) throw new Error('upsert returned no row');
    await recordAudit(tx, { userId: null, role: 'system' }, { action: 'user.ensure_admin', targetType: 'user', targetId: row.id });
    return toUser(row);
  });
}

/** Creates a staff or partner account (operator, admin or carrier) — admins only, audited. */
export async function createStaffUser(
  db: Db,
  actor: Actor,
  input: { email: string; password: string; name?: string; role: Exclude<Role, 'customer'> },
): Promise<User> {
  const policyError = checkPasswordPolicy(input.password, input.email);
  if (policyError) throw validation('weak_password', `password ${policyError.message}`, [policyError]);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<UserRow>(
        `INSERT INTO users (id, email, password_hash, name, role) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [newId('usr'), input.email.trim(), passwordHash, input.name?.trim() || null, input.role],
      );
      const row = rows[0];
      if (!row) throw new Error('insert returned no row');
      await recordAudit(tx, actor, { action: 'user.create', targetType: 'user', targetId: row.id, details: { role: input.role } });
      return toUser(row);
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw conflict('email_taken', 'an account with this email already exists');
    throw error;
  }
}

export interface ApiTokenView {
  id: string;
  name: string;
  role: Role;
  userId: string;
  expiresAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

/**
 * An API token for a partner system (a carrier's usage feed, an operator integration). Each token
 * gets its own service principal with the given role and no password, so it can be revoked alone
 * and every action it takes is attributed to it in the audit log.
 */
export async function createApiToken(
  db: Db,
  clock: Clock,
  actor: Actor & { userId: string },
  input: { name: string; role: 'carrier' | 'operator'; expiresInDays?: number },
): Promise<ApiTokenView & { token: string }> {
  const now = clock.now();
  const expiresAt = input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * DAY_MS) : null;
  return db.transaction(async (tx) => {
    const userId = newId('usr');
    await tx.query(`INSERT INTO users (id, email, password_hash, name, role) VALUES ($1, $2, NULL, $3, $4)`, [
      userId, `${userId}@api-tokens.simkeep.invalid`, input.name, input.role,
    ]);
    const issued = await issueToken(tx, { userId, kind: 'api', expiresAt, name: input.name, createdBy: actor.userId });
    await recordAudit(tx, actor, { action: 'api_token.create', targetType: 'api_token', targetId: issued.id, details: { name: input.name, role: input.role } });
    return {
      id: issued.id, token: issued.token, name: input.name, role: input.role, userId,
      expiresAt: expiresAt?.toISOString() ?? null, revokedAt: null, createdAt: now.toISOString(),
    };
  });
}

/** API tokens listed for the console; partners hold a handful each. */
export const API_TOKENS_LIST_MAX = 500;

export async function listApiTokens(db: Queryable): Promise<ApiTokenView[]> {
  const { rows } = await db.query<{ id: string; name: string; role: Role; user_id: string; expires_at: Date | null; revoked_at: Date | null; created_at: Date }>(
    `SELECT t.id, t.name, u.role, t.user_id, t.expires_at, t.revoked_at, t.created_at
       FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.kind = 'api' ORDER BY t.created_at DESC LIMIT $1`,
    [API_TOKENS_LIST_MAX],
  );
  return rows.map((r) => ({
    id: r.id, name: r.name, role: r.role, userId: r.user_id, expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null, createdAt: r.created_at.toISOString(),
  }));
}

export async function revokeApiToken(db: Db, clock: Clock, actor: Actor, tokenId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const { rowCount } = await tx.query(`UPDATE auth_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 AND kind = 'api'`, [tokenId, clock.now()]);
    if (rowCount === 0) throw notFound('not_found', 'API token not found');
    await recordAudit(tx, actor, { action: 'api_token.revoke', targetType: 'api_token', targetId: tokenId });
  });
}
