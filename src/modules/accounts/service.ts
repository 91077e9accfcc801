// Accounts: users, their roles, login sessions and API tokens. Owns `users` and `auth_tokens`.
// Invariants: an email belongs to at most one user (unique index on lower(email) — registration
// races resolve there, not in code); a token is usable only while unexpired and unrevoked; the
// same 401 answers an unknown email and a wrong password. Login attempts are throttled in the
// database (counted before the password is checked, so a parallel burst gets no more checks than a
// sequential one, and limits hold across processes) under one identity per account — the account
// the database matches, whatever spelling of its email was typed: per IP, per (account, IP), and by
// a paced per-account ceiling that addresses the owner logged in from are exempt from, so strangers
// can neither guess on nor lock the owner out. Registrations are limited per IP the same way.
// Logout ends sessions only: an API token is revoked by an admin.
import type { Db, Queryable } from '../../db/types.ts';
import { PG_UNIQUE_VIOLATION, pgErrorCode } from '../../db/types.ts';
import { DomainError, conflict, notFound, validation } from '../../domain/errors.ts';
import { newId } from '../../domain/ids.ts';
import { SYSTEM_ACTOR, recordAudit, type Actor } from '../audit/service.ts';
import type { Clock } from '../clock/service.ts';
import { resetThrottle, returnAttempt, takeAttempt, takePacedAttempt, type PacedRule, type ThrottleRule } from '../throttle/service.ts';
import { burnVerification, checkPasswordPolicy, hashPassword, verifyPassword } from './passwords.ts';
import { hashToken, newTokenSecret } from './tokens.ts';

export const USER_ROLES = ['customer', 'operator', 'admin', 'carrier'] as const;
export type Role = (typeof USER_ROLES)[number];
/** A login session, or a named API token an admin issued. */
export const TOKEN_KINDS = ['session', 'api'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

export const SESSION_TTL_DAYS = 30;
/** Failed logins on one account from one address (SPEC: 5 in 15 minutes), then 429 to that address only. */
export const LOGIN_LIMIT_PER_ACCOUNT_AND_IP: ThrottleRule = { maxAttempts: 5, windowSeconds: 15 * 60 };
export const LOGIN_LIMIT_PER_IP: ThrottleRule = { maxAttempts: 30, windowSeconds: 15 * 60 };
/**
 * Failed logins on one account from addresses it never logged in from, all together: 20 at once,
 * then one a minute, at most 60 an hour — guessing from many addresses stays at a crawl, while the
 * owner's known addresses are not held back by it.
 */
export const LOGIN_CEILING_PER_ACCOUNT: PacedRule = { freeAttempts: 20, paceSeconds: 60, maxAttempts: 60, windowSeconds: 3600 };
/** An address the account logged in from this recently counts as the owner's own. */
export const LOGIN_SOURCE_KNOWN_DAYS = 90;
export const REGISTER_WINDOW_SECONDS = 3600;
/** A token's last use is written at most this often: one cheap guarded UPDATE a minute per token. */
export const LAST_USED_RESOLUTION_SECONDS = 60;

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
  tokenKind: TokenKind;
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
  input: { userId: string; kind: TokenKind; now: Date; expiresAt: Date | null; name?: string; createdBy?: string },
): Promise<{ id: string; token: string }> {
  const token = newTokenSecret(input.kind);
  const id = newId('tok');
  await db.query(
    `INSERT INTO auth_tokens (id, user_id, kind, token_hash, name, created_by, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, input.userId, input.kind, hashToken(token), input.name ?? null, input.createdBy ?? null, input.expiresAt, input.now],
  );
  return { id, token };
}

export interface RegisterInput {
  email: string;
  password: string;
  name?: string;
  locale?: Locale;
}

export interface RegisterLimit {
  /** The client's address (behind a proxy: as SIMKEEP_TRUST_PROXY allows). */
  ip: string;
  /** Registrations per IP per hour; 0 = no limit. */
  perHour: number;
}

export async function register(db: Db, clock: Clock, input: RegisterInput, limit: RegisterLimit): Promise<{ user: User; token: string }> {
  const email = input.email.trim();
  const policyError = checkPasswordPolicy(input.password, email);
  if (policyError) throw validation('weak_password', `password ${policyError.message}`, [policyError]);
  // Counted before the hash (the expensive part): a burst of sign-ups from one address is refused
  // whichever process it reaches. A refused weak password above costs nothing and is not counted.
  if (limit.perHour > 0) {
    const rule = { maxAttempts: limit.perHour, windowSeconds: REGISTER_WINDOW_SECONDS };
    const attempt = await takeAttempt(db, `register:ip:${limit.ip}`, rule, clock.now());
    if (!attempt.allowed) {
      throw new DomainError('rate_limited', 'too_many_registrations', `too many registrations from this address; try again in ${attempt.retryAfterSeconds} s`, {
        retryAfterSeconds: attempt.retryAfterSeconds,
      });
    }
  }
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<UserRow>(
        `INSERT INTO users (id, email, password_hash, name, locale, role) VALUES ($1, $2, $3, $4, $5, 'customer') RETURNING *`,
        [newId('usr'), email, passwordHash, input.name?.trim() || null, input.locale ?? 'en'],
      );
      const row = rows[0];
      if (!row) throw new Error('insert returned no row');
      const now = clock.now();
      const { token } = await issueToken(tx, { userId: row.id, kind: 'session', now, expiresAt: new Date(now.getTime() + SESSION_TTL_DAYS * DAY_MS) });
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

/**
 * The email as both sides compare it: NFKC, trimmed, lower-cased. The account lookup compares
 * `lower(email)` with `lower()` of this text, so every spelling the database matches to an account
 * lands on that account (whose id is then the identity); this is only the key for emails that match
 * no account.
 */
export function canonicalEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

async function isKnownSource(db: Queryable, userId: string, ip: string, now: Date): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM login_sources WHERE user_id = $1 AND ip = $2 AND last_success_at > $3',
    [userId, ip, new Date(now.getTime() - LOGIN_SOURCE_KNOWN_DAYS * DAY_MS)],
  );
  return (rows[0]?.n ?? 0) > 0;
}

export async function login(
  db: Db,
  clock: Clock,
  input: { email: string; password: string; ip: string },
): Promise<{ user: User; token: string; tokenId: string }> {
  const now = clock.now();
  const email = input.email.normalize('NFKC').trim();
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [email]);
  const row = rows[0];
  // One budget per account, however its email is spelled (U+0130 and friends).
  const identity = row ? `user:${row.id}` : `email:${canonicalEmail(email)}`;
  const ipKey = `login:ip:${input.ip}`;
  const sourceKey = `login:source:${identity}:${input.ip}`;
  const ceilingKey = `login:account:${identity}`;
  // Count first, check the password after: each attempt takes its number in one atomic upsert, so
  // of 25 simultaneous tries on one account from one address exactly 5 reach the password check.
  const byIp = await takeAttempt(db, ipKey, LOGIN_LIMIT_PER_IP, now);
  if (!byIp.allowed) throw tooManyAttempts(byIp.retryAfterSeconds);
  const bySource = await takeAttempt(db, sourceKey, LOGIN_LIMIT_PER_ACCOUNT_AND_IP, now);
  if (!bySource.allowed) throw tooManyAttempts(bySource.retryAfterSeconds);
  const known = row !== undefined && (await isKnownSource(db, row.id, input.ip, now));
  if (!known) {
    const byAccount = await takePacedAttempt(db, ceilingKey, LOGIN_CEILING_PER_ACCOUNT, now);
    if (!byAccount.allowed) throw tooManyAttempts(byAccount.retryAfterSeconds);
  }

  let valid = false;
  if (row?.password_hash) valid = await verifyPassword(row.password_hash, input.password);
  else await burnVerification(input.password);

  if (!row || !valid) throw new DomainError('unauthenticated', 'invalid_credentials', 'the email or password is not correct');
  // A success clears this address's failures on the account and gives its attempt back to the IP
  // and the ceiling, so those count failures only (an office behind one address keeps logging in).
  await resetThrottle(db, sourceKey);
  await returnAttempt(db, ipKey);
  if (!known) await returnAttempt(db, ceilingKey);
  await db.query(
    `INSERT INTO login_sources (user_id, ip, last_success_at) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, ip) DO UPDATE SET last_success_at = EXCLUDED.last_success_at`,
    [row.id, input.ip, now],
  );
  const issued = await issueToken(db, { userId: row.id, kind: 'session', now, expiresAt: new Date(now.getTime() + SESSION_TTL_DAYS * DAY_MS) });
  return { user: toUser(row), token: issued.token, tokenId: issued.id };
}

/**
 * Ends the caller's session. An API token is not a session: logging out with one is refused
 * (400 not_a_session) rather than silently revoking a partner's credential — admins revoke those.
 */
export async function logout(db: Queryable, clock: Clock, principal: Pick<Principal, 'tokenId' | 'tokenKind'>): Promise<void> {
  if (principal.tokenKind !== 'session') {
    throw new DomainError('bad_request', 'not_a_session', 'logout ends a login session; API tokens are revoked with DELETE /api/v1/admin/api-tokens/{id}');
  }
  await db.query(`UPDATE auth_tokens SET revoked_at = $2 WHERE id = $1 AND kind = 'session' AND revoked_at IS NULL`, [principal.tokenId, clock.now()]);
}

/** The principal behind a bearer or cookie token, or null when it is unknown, expired or revoked. */
export async function authenticate(db: Queryable, clock: Clock, token: string): Promise<Principal | null> {
  if (token.length > 200) return null;
  const now = clock.now();
  const { rows } = await db.query<{ token_id: string; kind: TokenKind; user_id: string; role: Role; locale: Locale; last_used_at: Date | null }>(
    `SELECT t.id AS token_id, t.kind, u.id AS user_id, u.role, u.locale, t.last_used_at
       FROM auth_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)`,
    [hashToken(token), now],
  );
  const r = rows[0];
  if (!r) return null;
  // last_used_at to the minute: a write only when the stored value is a minute old, guarded so
  // concurrent requests on one token write it once.
  if (r.last_used_at === null || now.getTime() - r.last_used_at.getTime() >= LAST_USED_RESOLUTION_SECONDS * 1000) {
    await db.query(
      `UPDATE auth_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
      [r.token_id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_SECONDS * 1000)],
    );
  }
  return { userId: r.user_id, role: r.role, locale: r.locale, tokenId: r.token_id, tokenKind: r.kind };
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

/**
 * The admin named in configuration exists after start: created, or its password and role set.
 * A password that really changed (the configured one no longer verifies) ends that admin's
 * sessions: whoever held the old password is logged out. A restart with the same password
 * changes nothing and keeps sessions.
 */
export async function ensureAdmin(db: Db, clock: Clock, admin: { email: string; password: string }): Promise<User> {
  const now = clock.now();
  const { rows: found } = await db.query<UserRow>('SELECT * FROM users WHERE lower(email) = lower($1)', [admin.email.trim()]);
  const existing = found[0];
  const samePassword = existing?.password_hash ? await verifyPassword(existing.password_hash, admin.password) : false;
  if (existing && samePassword && existing.role === 'admin') return toUser(existing);
  const passwordHash = samePassword && existing?.password_hash ? existing.password_hash : await hashPassword(admin.password);
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<UserRow>(
      `INSERT INTO users (id, email, password_hash, name, role) VALUES ($1, $2, $3, 'Administrator', 'admin')
       ON CONFLICT (lower(email)) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'admin', updated_at = $4
       RETURNING *`,
      [newId('usr'), admin.email.trim(), passwordHash, now],
    );
    const row = rows[0];
    if (!row) throw new Error('upsert returned no row');
    let sessionsRevoked = 0;
    if (existing && !samePassword) {
      const revoked = await tx.query(
        `UPDATE auth_tokens SET revoked_at = $2 WHERE user_id = $1 AND kind = 'session' AND revoked_at IS NULL`,
        [row.id, now],
      );
      sessionsRevoked = revoked.rowCount;
    }
    await recordAudit(tx, SYSTEM_ACTOR, {
      action: 'user.ensure_admin', targetType: 'user', targetId: row.id, at: now,
      details: { created: !existing, passwordChanged: Boolean(existing) && !samePassword, sessionsRevoked },
    });
    return toUser(row);
  });
}

/** Creates a staff or partner account (operator, admin or carrier) — admins only, audited. */
export async function createStaffUser(
  db: Db,
  clock: Clock,
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
      await recordAudit(tx, actor, { action: 'user.create', targetType: 'user', targetId: row.id, at: clock.now(), details: { role: input.role } });
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
  /** To the minute (LAST_USED_RESOLUTION_SECONDS); null until first used. */
  lastUsedAt: string | null;
  createdAt: string;
}

/**
 * An API token for a partner system (a carrier's usage feed, an operator integration). Each token
 * gets its own service principal with the given role and no password, so it can be revoked alone
 * and every action it takes is attributed to it in the audit log.
 */
export async function createApiToken(
  db: Db,
  clocks: { app: Clock; wall: Clock },
  actor: Actor & { userId: string },
  input: { name: string; role: 'carrier' | 'operator'; expiresInDays?: number },
): Promise<ApiTokenView & { token: string }> {
  // The token ages on wall time (API.md); its audit entry is stamped on the application clock like every other.
  const now = clocks.wall.now();
  const expiresAt = input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * DAY_MS) : null;
  return db.transaction(async (tx) => {
    const userId = newId('usr');
    await tx.query(`INSERT INTO users (id, email, password_hash, name, role) VALUES ($1, $2, NULL, $3, $4)`, [
      userId, `${userId}@api-tokens.simkeep.invalid`, input.name, input.role,
    ]);
    const issued = await issueToken(tx, { userId, kind: 'api', now, expiresAt, name: input.name, createdBy: actor.userId });
    await recordAudit(tx, actor, {
      action: 'api_token.create', targetType: 'api_token', targetId: issued.id, at: clocks.app.now(), details: { name: input.name, role: input.role },
    });
    return {
      id: issued.id, token: issued.token, name: input.name, role: input.role, userId,
      expiresAt: expiresAt?.toISOString() ?? null, revokedAt: null, lastUsedAt: null, createdAt: now.toISOString(),
    };
  });
}

/** API tokens listed for the console; partners hold a handful each. */
export const API_TOKENS_LIST_MAX = 500;

export async function listApiTokens(db: Queryable): Promise<ApiTokenView[]> {
  const { rows } = await db.query<{
    id: string; name: string; role: Role; user_id: string; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null; created_at: Date;
  }>(
    `SELECT t.id, t.name, u.role, t.user_id, t.expires_at, t.revoked_at, t.last_used_at, t.created_at
       FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.kind = 'api' ORDER BY t.created_at DESC LIMIT $1`,
    [API_TOKENS_LIST_MAX],
  );
  return rows.map((r) => ({
    id: r.id, name: r.name, role: r.role, userId: r.user_id, expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null, lastUsedAt: r.last_used_at?.toISOString() ?? null, createdAt: r.created_at.toISOString(),
  }));
}

export async function revokeApiToken(db: Db, clock: Clock, actor: Actor, tokenId: string): Promise<void> {
  const now = clock.now();
  await db.transaction(async (tx) => {
    const { rowCount } = await tx.query(`UPDATE auth_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 AND kind = 'api'`, [tokenId, now]);
    if (rowCount === 0) throw notFound('not_found', 'API token not found');
    await recordAudit(tx, actor, { action: 'api_token.revoke', targetType: 'api_token', targetId: tokenId, at: now });
  });
}
