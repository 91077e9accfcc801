// Fixed-window attempt counters kept in the database, so a limit holds across every API process
// sharing a PostgreSQL server. Used for login attempts (per IP, per account and address, a paced
// per-account ceiling), registrations (per IP) and card PIN attempts (per card, account and IP). Windows are measured on the clock the caller passes:
// wall time for logins, registrations and PINs (advancing the sandbox clock neither lifts nor
// extends a lockout), the application clock for the quote budget. A limit that guards expensive work (a password check) counts the attempt
// first with `takeAttempt` — one atomic upsert — and only then does the work: reading the counter
// and counting afterwards lets a parallel burst through before any failure is counted.
import type { Queryable } from '../../db/types.ts';

export interface ThrottleRule {
  /** Attempts allowed in one window; the next one is refused until the window ends. */
  maxAttempts: number;
  windowSeconds: number;
}

export interface ThrottleState {
  count: number;
  blocked: boolean;
  /** Seconds until the window resets (for Retry-After); 0 when not blocked. */
  retryAfterSeconds: number;
}

function stateOf(count: number, windowStart: Date, rule: ThrottleRule, now: Date): ThrottleState {
  const endsAtMs = windowStart.getTime() + rule.windowSeconds * 1000;
  const blocked = count >= rule.maxAttempts && endsAtMs > now.getTime();
  return { count, blocked, retryAfterSeconds: blocked ? Math.max(1, Math.ceil((endsAtMs - now.getTime()) / 1000)) : 0 };
}

/** Reads the counter without changing it. */
export async function peekThrottle(db: Queryable, key: string, rule: ThrottleRule, now: Date): Promise<ThrottleState> {
  const { rows } = await db.query<{ count: number; window_start: Date }>(
    'SELECT count, window_start FROM rate_limit_counters WHERE key = $1',
    [key],
  );
  const row = rows[0];
  if (!row || row.window_start.getTime() + rule.windowSeconds * 1000 <= now.getTime()) {
    return { count: 0, blocked: false, retryAfterSeconds: 0 };
  }
  return stateOf(row.count, row.window_start, rule, now);
}

/** One upsert: concurrent processes never lose a count; a window that ended starts afresh. */
async function countOne(db: Queryable, key: string, rule: ThrottleRule, now: Date): Promise<{ count: number; window_start: Date }> {
  const { rows } = await db.query<{ count: number; window_start: Date }>(
    `INSERT INTO rate_limit_counters AS c (key, window_start, count) VALUES ($1, $2, 1)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN c.window_start + make_interval(secs => $3) <= $2 THEN 1 ELSE c.count + 1 END,
       window_start = CASE WHEN c.window_start + make_interval(secs => $3) <= $2 THEN $2 ELSE c.window_start END
     RETURNING count, window_start`,
    [key, now, rule.windowSeconds],
  );
  const row = rows[0];
  if (!row) throw new Error('throttle upsert returned no row');
  return row;
}

/** Counts one attempt atomically. */
export async function hitThrottle(db: Queryable, key: string, rule: ThrottleRule, now: Date): Promise<ThrottleState> {
  const row = await countOne(db, key, rule, now);
  return stateOf(row.count, row.window_start, rule, now);
}

export async function resetThrottle(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM rate_limit_counters WHERE key = $1', [key]);
}

export interface Attempt {
  /** Whether this attempt is within the limit (the count including it is at most maxAttempts). */
  allowed: boolean;
  count: number;
  /** Seconds until the window ends (for Retry-After); 0 when allowed. */
  retryAfterSeconds: number;
}

/** Counts this attempt (atomically) and answers whether it may go ahead. */
export async function takeAttempt(db: Queryable, key: string, rule: ThrottleRule, now: Date): Promise<Attempt> {
  const row = await countOne(db, key, rule, now);
  const allowed = row.count <= rule.maxAttempts;
  const endsAtMs = row.window_start.getTime() + rule.windowSeconds * 1000;
  return { allowed, count: row.count, retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((endsAtMs - now.getTime()) / 1000)) };
}

/** Gives one counted attempt back (it turned out not to be one the limit is about, e.g. a login that succeeded). */
export async function returnAttempt(db: Queryable, key: string): Promise<void> {
  await db.query('UPDATE rate_limit_counters SET count = count - 1 WHERE key = $1 AND count > 0', [key]);
}

/**
 * A ceiling that slows down before it stops: the first `freeAttempts` of a window go at once, then
 * one more every `paceSeconds`, and never more than `maxAttempts` in the window. Guessing is held to
 * a crawl without a lock that a few failures could trip.
 */
export interface PacedRule extends ThrottleRule {
  freeAttempts: number;
  paceSeconds: number;
}

/**
 * Counts this attempt against a paced rule (atomically) and answers whether it may go ahead. A
 * refused attempt is given back at once, so refusals never use up the slots that open later.
 */
export async function takePacedAttempt(db: Queryable, key: string, rule: PacedRule, now: Date): Promise<Attempt> {
  const row = await countOne(db, key, rule, now);
  const elapsedSeconds = Math.max(0, (now.getTime() - row.window_start.getTime()) / 1000);
  const allowance = Math.min(rule.maxAttempts, rule.freeAttempts + Math.floor(elapsedSeconds / rule.paceSeconds));
  if (row.count <= allowance) return { allowed: true, count: row.count, retryAfterSeconds: 0 };
  await returnAttempt(db, key);
  const windowLeftSeconds = rule.windowSeconds - elapsedSeconds;
  const nextSlotSeconds = (row.count - rule.freeAttempts) * rule.paceSeconds - elapsedSeconds;
  const waitSeconds = row.count > rule.maxAttempts ? windowLeftSeconds : Math.min(nextSlotSeconds, windowLeftSeconds);
  return { allowed: false, count: row.count - 1, retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)) };
}
