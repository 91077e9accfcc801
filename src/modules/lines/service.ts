// Lines: carrier profiles, SIM inventory, subscriber lines, their allowance buckets and lifecycle.
// Owns `carriers`, `sims`, `lines`, `buckets`, `line_credits` and `line_events`. Invariants: a SIM
// is bound to at most one line (guarded UPDATE + UNIQUE sim_id); a line is visible only to its
// owner (others get 404 line_not_found, never 403); every status change goes through the pure
// lifecycle function and is written to line_events in the same transaction; an order credits a
// line at most once (line_credits PK); PINs are only kept hashed, activation codes only encrypted.
import { PAGE_LIMIT_MAX, clampPageLimit, keysetPage, type Page } from '../../db/keyset-page.ts';
import type { Db, Queryable } from '../../db/types.ts';
import { conflict, DomainError, notFound, validation } from '../../domain/errors.ts';
import { validateCarrierProfile, type CarrierProfile, type PaygRates } from '../../domain/carrier-profile.ts';
import { newId } from '../../domain/ids.ts';
import { parseIccid } from '../../domain/iccid.ts';
import { invariant } from '../../domain/invariant.ts';
import {
  advanceLifecycle, initialLineState, type LifecycleEvent, type StoredLineStatus, type LifecycleOutcome, type LineLifecycleState,
} from '../../domain/lifecycle.ts';
import { addDays, planCredit, type BucketUnit, type ExpiryPolicy, type PlanKind } from '../../domain/plan-credit.ts';
import type { Allowances } from '../../domain/pricing.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import type { Clock } from '../clock/service.ts';
import { hashesEqual, keyedHash } from '../secrets/service.ts';
import type { SimForm } from '../../domain/sim-form.ts';
import { notify } from '../notifications/service.ts';
import { normaliseNickname } from './nickname.ts';
import { hitThrottle, peekThrottle, resetThrottle, returnAttempt, takeAttempt, type ThrottleRule } from '../throttle/service.ts';

export type LineStatus = StoredLineStatus;
/** A card in stock, bound to a line, or taken out of stock. */
export const SIM_STATUSES = ['available', 'bound', 'retired'] as const;
export type SimStatus = (typeof SIM_STATUSES)[number];
/** What credited a line once per order (line_credits): a plan's buckets, or a wallet recharge. */
export const LINE_CREDIT_KINDS = ['plan', 'recharge'] as const;
export type LineCreditKind = (typeof LINE_CREDIT_KINDS)[number];

export interface OwnedLine {
  id: string;
  userId: string;
  iccid: string;
  msisdn: string | null;
  form: SimForm;
  carrierCode: string;
  /** The carrier's country (ISO 3166 alpha-2): the region plans must cover. */
  region: string;
  /** The carrier's currency: wallet and PAYG currency of this line. */
  currency: string;
  status: LineStatus;
  expiresAt: Date | null;
  lastRechargeAt: Date | null;
  autoRenew: { enabled: boolean; planId: string | null };
}

/** PIN attempts per card before it locks, and how long the lock lasts (SPEC: 5 wrong → 15 min). */
export const PIN_MAX_FAILURES = 5;
export const PIN_LOCK_SECONDS = 15 * 60;
const PIN_ATTEMPT_WINDOW: ThrottleRule = { maxAttempts: PIN_MAX_FAILURES, windowSeconds: PIN_LOCK_SECONDS };
const PIN_LOCK: ThrottleRule = { maxAttempts: 1, windowSeconds: PIN_LOCK_SECONDS };
/**
 * Wrong PINs one account may try across all cards, and one client address across all accounts: the
 * per-card lock alone let one account guess on card after card, and lock cards others bought. An
 * account can lock at most two cards an hour; an address is capped well above a household's typos.
 */
export const PIN_LIMIT_PER_ACCOUNT: ThrottleRule = { maxAttempts: 10, windowSeconds: 3600 };
export const PIN_LIMIT_PER_IP: ThrottleRule = { maxAttempts: 100, windowSeconds: 3600 };
const PIN_HASH_PURPOSE = 'simkeep/sim-pin/v1';

// ---------------------------------------------------------------------------------------------
// Rows

export interface LineRow {
  id: string;
  sim_id: string;
  user_id: string;
  iccid: string;
  msisdn: string | null;
  carrier_code: string;
  form: SimForm;
  nickname: string | null;
  status: LineStatus;
  operator_suspended: boolean;
  expires_at: Date | null;
  last_recharge_at: Date | null;
  last_activity_at: Date | null;
  lapsed_at: Date | null;
  /** The next time-driven transition (while active: the lapse instant L); null when none is due. */
  lifecycle_due_at: Date | null;
  plan_id: string | null;
  plan_name: Record<string, string> | null;
  auto_renew_enabled: boolean;
  auto_renew_plan_id: string | null;
  auto_renew_monthly_cap_minor: number | null;
  auto_renew_cap_currency: string | null;
  flagged: boolean;
  created_at: Date;
  carrier_country: string;
  carrier_currency: string;
}

export const LINE_SELECT = `SELECT l.*, c.country AS carrier_country, c.currency AS carrier_currency
  FROM lines l JOIN carriers c ON c.code = l.carrier_code`;

export function toOwnedLine(r: LineRow): OwnedLine {
  return {
    id: r.id, userId: r.user_id, iccid: r.iccid, msisdn: r.msisdn, form: r.form, carrierCode: r.carrier_code,
    region: r.carrier_country, currency: r.carrier_currency, status: r.status, expiresAt: r.expires_at,
    lastRechargeAt: r.last_recharge_at, autoRenew: { enabled: r.auto_renew_enabled, planId: r.auto_renew_plan_id },
  };
}

const lineNotFound = (): DomainError => notFound('line_not_found', 'line not found');

/**
 * The line row, or 404 when missing or (with userId) not that user's. `lock` takes a row lock for an
 * update: FOR NO KEY UPDATE, which excludes every other locker of the line as FOR UPDATE would, but
 * lets rows that reference it be inserted meanwhile — an order for the line (its foreign key check
 * takes KEY SHARE) need not wait for the worker that is provisioning it to commit.
 */
export async function loadLineRow(db: Queryable, lineId: string, options: { userId?: string; lock?: boolean } = {}): Promise<LineRow> {
  const { rows } = await db.query<LineRow>(
    `${LINE_SELECT} WHERE l.id = $1 AND ($2::text IS NULL OR l.user_id = $2)${options.lock ? ' FOR NO KEY UPDATE OF l' : ''}`,
    [lineId, options.userId ?? null],
  );
  const row = rows[0];
  if (!row) throw lineNotFound();
  return row;
}

export async function getOwnedLine(db: Queryable, userId: string, lineId: string): Promise<OwnedLine> {
  return toOwnedLine(await loadLineRow(db, lineId, { userId }));
}

export async function getLineById(db: Queryable, lineId: string): Promise<OwnedLine> {
  return toOwnedLine(await loadLineRow(db, lineId));
}

/** The owner's lines in id order, at most `limit` (≤ PAGE_LIMIT_MAX + 1, a page and its lookahead row) after the id `after`. */
export async function listUserLineRows(
  db: Queryable, userId: string, page: { limit?: number; after?: string } = {},
): Promise<LineRow[]> {
  const limit = clampPageLimit(page.limit ?? PAGE_LIMIT_MAX, PAGE_LIMIT_MAX + 1);
  const { rows } = await db.query<LineRow>(
    `${LINE_SELECT} WHERE l.user_id = $1 AND ($2::text IS NULL OR l.id > $2) ORDER BY l.id LIMIT $3`, [userId, page.after ?? null, limit],
  );
  return rows;
}

/** A page of the owner's lines (GET /api/v1/lines), keyset-paged by id. */
export async function pageUserLines(db: Queryable, userId: string, page: { limit?: number; cursor?: string }): Promise<Page<LineRow>> {
  const limit = clampPageLimit(page.limit);
  return keysetPage(await listUserLineRows(db, userId, { limit: limit + 1, after: page.cursor }), limit, (row) => row.id);
}

// ---------------------------------------------------------------------------------------------
// Carriers

export interface CarrierRow {
  code: string;
  name: string;
  country: string;
  currency: string;
  validity_days: number;
  grace_days: number;
  suspend_days: number;
  keep_alive_rule: 'recharge' | 'activity';
  keep_alive_every_days: number;
  topup_grants_validity: boolean;
  payg_rates: Record<string, PaygRates>;
}

export type Carrier = CarrierProfile & { country: string };

export function toCarrier(r: CarrierRow): Carrier {
  return {
    code: r.code, name: r.name, country: r.country, currency: r.currency, validityDays: r.validity_days,
    graceDays: r.grace_days, suspendDays: r.suspend_days,
    keepAlive: { rule: r.keep_alive_rule, everyDays: r.keep_alive_every_days },
    topupGrantsValidity: r.topup_grants_validity, paygRates: r.payg_rates,
  };
}

export async function getCarrier(db: Queryable, code: string): Promise<Carrier> {
  const { rows } = await db.query<CarrierRow>('SELECT * FROM carriers WHERE code = $1', [code]);
  const row = rows[0];
  if (!row) throw notFound('carrier_not_found', `carrier ${code} not found`);
  return toCarrier(row);
}

/** Carriers are few (one per partner network); a bound keeps the answer small anyway. */
export const CARRIERS_LIST_MAX = 500;

export async function listCarriers(db: Queryable): Promise<Carrier[]> {
  const { rows } = await db.query<CarrierRow>('SELECT * FROM carriers ORDER BY code LIMIT $1', [CARRIERS_LIST_MAX]);
  return rows.map(toCarrier);
}

/** Unbound cards in stock per carrier, for the console (served by the sims (carrier_code, status) index). */
export async function availableSimsByCarrier(db: Queryable): Promise<Map<string, number>> {
  const { rows } = await db.query<{ carrier_code: string; n: number }>(
    `SELECT c.code AS carrier_code, (SELECT count(*)::int FROM sims s WHERE s.carrier_code = c.code AND s.status = 'available') AS n
       FROM carriers c ORDER BY c.code LIMIT $1`,
    [CARRIERS_LIST_MAX],
  );
  return new Map(rows.map((r) => [r.carrier_code, r.n]));
}

export async function listCarrierCodes(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ code: string }>('SELECT code FROM carriers ORDER BY code LIMIT $1', [CARRIERS_LIST_MAX]);
  return rows.map((r) => r.code);
}

const COUNTRY_SHAPE = /^[A-Z]{2}$/;

/** Every field checked (validateCarrierProfile: no negative or fractional PAYG rate, no absurd period) before any write. */
function assertValidCarrier(carrier: Carrier): void {
  const checked = validateCarrierProfile(carrier);
  const problems = checked.ok ? [] : [checked.message];
  if (typeof carrier.country !== 'string' || !COUNTRY_SHAPE.test(carrier.country)) problems.push('country must be an ISO 3166 alpha-2 code');
  if (problems.length > 0) throw validation('invalid_carrier_profile', `carrier ${carrier.code}: ${problems.join('; ')}`);
}

const CARRIER_INSERT = `INSERT INTO carriers (code, name, country, currency, validity_days, grace_days, suspend_days, keep_alive_rule,
                           keep_alive_every_days, topup_grants_validity, payg_rates)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

const carrierParams = (carrier: Carrier): unknown[] => [
  carrier.code, carrier.name, carrier.country, carrier.currency, carrier.validityDays, carrier.graceDays, carrier.suspendDays,
  carrier.keepAlive.rule, carrier.keepAlive.everyDays, carrier.topupGrantsValidity, JSON.stringify(carrier.paygRates),
];

/**
 * Creates or replaces a carrier profile (operator tooling). A replaced profile can move its lines'
 * deadlines either way, so their stored due times are pulled to now: the lifecycle sweep
 * re-evaluates them under the new rules on its next pass (a later deadline is simply stored again;
 * an earlier one takes effect, its transitions stamped at their real instants).
 */
export async function upsertCarrier(db: Queryable, carrier: Carrier): Promise<void> {
  assertValidCarrier(carrier);
  const { rows } = await db.query<{ inserted: boolean }>(
    `${CARRIER_INSERT}
     ON CONFLICT (code) DO UPDATE SET
       name = EXCLUDED.name, country = EXCLUDED.country, currency = EXCLUDED.currency, validity_days = EXCLUDED.validity_days,
       grace_days = EXCLUDED.grace_days, suspend_days = EXCLUDED.suspend_days, keep_alive_rule = EXCLUDED.keep_alive_rule,
       keep_alive_every_days = EXCLUDED.keep_alive_every_days, topup_grants_validity = EXCLUDED.topup_grants_validity,
       payg_rates = EXCLUDED.payg_rates
     RETURNING (xmax = 0) AS inserted`,
    carrierParams(carrier),
  );
  if (rows[0]?.inserted === false) {
    await db.query('UPDATE lines SET lifecycle_due_at = now() WHERE carrier_code = $1 AND lifecycle_due_at > now()', [carrier.code]);
  }
}

/**
 * Creates a carrier profile unless one with its code exists (demo seeding on every start): an
 * operator's later changes to a seeded carrier survive restarts. Validated like upsertCarrier.
 */
export async function ensureCarrier(db: Queryable, carrier: Carrier): Promise<void> {
  assertValidCarrier(carrier);
  await db.query(`${CARRIER_INSERT} ON CONFLICT (code) DO NOTHING`, carrierParams(carrier));
}

// ---------------------------------------------------------------------------------------------
// Lifecycle persistence: the pure function decides, this writes its outcome and history.

export function lifecycleStateOf(r: LineRow): LineLifecycleState {
  return {
    status: r.status, expiresAt: r.expires_at, lastRechargeAt: r.last_recharge_at, lastActivityAt: r.last_activity_at,
    lapsedAt: r.lapsed_at, operatorSuspended: r.operator_suspended,
  };
}

/** When the next time-driven transition is due, for the lifecycle sweep; null when only an event can move the line. */
function lifecycleDueAt(outcome: LifecycleOutcome): Date | null {
  const { state, deadlines } = outcome;
  if (state.operatorSuspended) return null;
  if (state.status === 'active') return deadlines.lapsesAt;
  if (state.status === 'grace') return deadlines.graceEndsAt;
  if (state.status === 'suspended') return deadlines.recycleAt;
  return null;
}

function storedStatus(outcome: LifecycleOutcome): LineStatus {
  const status = outcome.state.status;
  invariant(status !== 'inventory', 'a line never returns to inventory');
  return status;
}

/** Advances a locked line through `events` up to `now` and persists state + transitions. */
export async function applyLifecycle(
  tx: Queryable, row: LineRow, profile: CarrierProfile, events: readonly LifecycleEvent[], now: Date, detail: string | null = null,
): Promise<LifecycleOutcome> {
  const outcome = advanceLifecycle(lifecycleStateOf(row), profile, events, now);
  const s = outcome.state;
  await tx.query(
    `UPDATE lines SET status = $2, operator_suspended = $3, expires_at = $4, last_recharge_at = $5, last_activity_at = $6,
            lapsed_at = $7, lifecycle_due_at = $8, updated_at = now() WHERE id = $1`,
    [row.id, storedStatus(outcome), s.operatorSuspended, s.expiresAt, s.lastRechargeAt, s.lastActivityAt, s.lapsedAt, lifecycleDueAt(outcome)],
  );
  await recordTransitions(tx, row.id, outcome, detail);
  return outcome;
}

async function recordTransitions(tx: Queryable, lineId: string, outcome: LifecycleOutcome, detail: string | null): Promise<void> {
  if (outcome.transitions.length === 0) return;
  const t = outcome.transitions;
  await tx.query(
    `INSERT INTO line_events (line_id, at, from_status, to_status, reason, detail)
     SELECT $1, * FROM unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[])`,
    [lineId, t.map((x) => x.at), t.map((x) => x.from), t.map((x) => x.to), t.map((x) => x.reason), t.map(() => detail)],
  );
}

/** Lines whose time-driven transition is due, advanced per sweep; more wait for the next one. */
export const LIFECYCLE_SWEEP_BATCH_MAX = 200;

/** A line whose lapse waits: its renewal for the period ending at `periodEnd` is being paid (auto-renewal's hold). */
export interface HeldPeriod {
  lineId: string;
  periodEnd: Date;
}

/**
 * The lifecycle sweep: advances every line whose next transition is due (grace, suspension,
 * recycling) — except a line held for the period it is in: while its expiry is still `periodEnd`
 * (the renewal has not credited it yet), it is left for a later pass.
 */
export async function advanceDueLines(db: Db, now: Date, held: readonly HeldPeriod[] = []): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<LineRow>(
      `${LINE_SELECT} WHERE l.lifecycle_due_at <= $1
          AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::timestamptz[]) AS h(line_id, period_end)
                           WHERE h.line_id = l.id AND h.period_end = l.expires_at)
        ORDER BY l.lifecycle_due_at LIMIT $2 FOR UPDATE OF l SKIP LOCKED`,
      [now, LIFECYCLE_SWEEP_BATCH_MAX, held.map((h) => h.lineId), held.map((h) => h.periodEnd)],
    );
    const profiles = new Map<string, Carrier>();
    for (const row of rows) {
      const profile = profiles.get(row.carrier_code) ?? (await getCarrier(tx, row.carrier_code));
      profiles.set(row.carrier_code, profile);
      await notifyLapses(tx, row, await applyLifecycle(tx, row, profile, [], now), now);
    }
    return rows.length;
  });
}

/** The subscriber hears of suspension and recycling once per transition: its instant is in the key. */
async function notifyLapses(tx: Queryable, row: LineRow, outcome: LifecycleOutcome, now: Date): Promise<void> {
  for (const t of outcome.transitions) {
    if (t.to !== 'suspended' && t.to !== 'recycled') continue;
    const kind = t.to === 'suspended' ? 'line_suspended' : 'line_recycled';
    const data = {
      ...(row.msisdn ? { msisdn: row.msisdn } : {}), ...(row.nickname ? { nickname: row.nickname } : {}),
      at: t.at.toISOString(), recycleAt: outcome.deadlines.recycleAt?.toISOString() ?? null,
    };
    await notify(tx, { now, userId: row.user_id, kind, lineId: row.id, data, dedupeKey: `${kind}:${row.id}:${t.at.toISOString()}` });
  }
}

/** Expired buckets settled per sweep; more wait for the next one. */
export const BUCKET_EXPIRY_BATCH_MAX = 1_000;

/**
 * Records the remainder of every bucket whose expiry has passed as expired (SPEC: never silently
 * dropped): `remaining` moves into `expired_remainder`, so total = used + expired afterwards.
 * Idempotent — a settled bucket has nothing left to move — and bounded per call. `unsettled` is
 * `remaining > 0` stored (migration 0027: the partial index reads it, so usage draws stay HOT).
 */
export async function expireDueBuckets(db: Db, now: Date): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE buckets SET expired_remainder = expired_remainder + remaining, remaining = 0
      WHERE id IN (SELECT id FROM buckets WHERE unsettled AND expires_at <= $1
                    ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [now, BUCKET_EXPIRY_BATCH_MAX],
  );
  return rowCount;
}

// ---------------------------------------------------------------------------------------------
// Binding a card

/**
 * PINs are 4–8 digits, so any hash of them alone is brute-forced instantly; what protects them is
 * the server key inside an HMAC (an attacker with the database but not the key learns nothing) and
 * the ICCID mixed in (equal PINs on two cards give different hashes). A slow hash (argon2) would
 * add little on top of a 10^4–10^8 space and would turn a 100,000-card import into minutes.
 */
export function hashPin(secretKey: Buffer, iccid: string, pin: string): string {
  return keyedHash(secretKey, PIN_HASH_PURPOSE, `${iccid}\0${pin}`);
}

const DUMMY_PIN_HASH = '0'.repeat(64);
const cardNotFound = (): DomainError =>
  notFound('card_not_found_or_wrong_pin', 'no card with this number and PIN is available to bind');
const tooManyPins = (retryAfterSeconds: number): DomainError =>
  new DomainError('rate_limited', 'too_many_attempts', `too many wrong PINs; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
const cardLocked = (retryAfterSeconds: number): DomainError =>
  new DomainError('locked', 'card_locked', `too many wrong PINs for this card; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });

interface SimRow {
  id: string;
  iccid: string;
  msisdn: string | null;
  pin_hash: string;
  form: SimForm;
  carrier_code: string;
  status: SimStatus;
}

/**
 * Attempts are counted per card number whether or not the card exists, so an unknown card locks
 * like a real one and locking reveals nothing. The attempt is counted before the PIN is checked,
 * so concurrent guesses cannot exceed the limit; the 5th wrong PIN starts a 15-minute lock. Then
 * the guesser's: per account and per client address (429), given back on success.
 */
async function checkPin(
  db: Queryable, secretKey: Buffer, input: { iccid: string; pin: string; userId: string; ip: string }, now: Date,
): Promise<SimRow> {
  const { iccid, pin } = input;
  const lockKey = `sim-pin:lock:${iccid}`;
  const attemptKey = `sim-pin:attempts:${iccid}`;
  const lock = await peekThrottle(db, lockKey, PIN_LOCK, now);
  if (lock.blocked) throw cardLocked(lock.retryAfterSeconds);
  const attempts = await hitThrottle(db, attemptKey, PIN_ATTEMPT_WINDOW, now);
  if (attempts.count > PIN_MAX_FAILURES) {
    // Only concurrent guesses get here (a sequential 6th meets the lock above): the 5th is being
    // checked right now and its lock, if it fails, ends 15 minutes from about now — later than the
    // attempt window, which started at the first guess. Retry-After names the lock's end.
    const lockNow = await peekThrottle(db, lockKey, PIN_LOCK, now);
    throw cardLocked(lockNow.blocked ? lockNow.retryAfterSeconds : PIN_LOCK_SECONDS);
  }
  // The guesser's budgets count only PINs actually checked: a guess refused here gives the card its
  // attempt back, so it neither locks the card nor counts twice.
  const accountKey = `sim-pin:user:${input.userId}`;
  const ipKey = `sim-pin:ip:${input.ip}`;
  const byAccount = await takeAttempt(db, accountKey, PIN_LIMIT_PER_ACCOUNT, now);
  const byIp = byAccount.allowed ? await takeAttempt(db, ipKey, PIN_LIMIT_PER_IP, now) : byAccount;
  if (!byAccount.allowed || !byIp.allowed) {
    if (byAccount.allowed) await returnAttempt(db, accountKey);
    await returnAttempt(db, attemptKey);
    throw tooManyPins(Math.max(byAccount.retryAfterSeconds, byIp.retryAfterSeconds));
  }

  const { rows } = await db.query<SimRow>('SELECT id, iccid, msisdn, pin_hash, form, carrier_code, status FROM sims WHERE iccid = $1', [iccid]);
  const sim = rows[0];
  // The hash is computed and compared even for an unknown card: both answers take the same time.
  const matches = hashesEqual(hashPin(secretKey, iccid, pin), sim?.pin_hash ?? DUMMY_PIN_HASH);
  if (!sim || !matches || sim.status === 'retired') {
    if (attempts.count >= PIN_MAX_FAILURES) await hitThrottle(db, lockKey, PIN_LOCK, now);
    throw cardNotFound();
  }
  await resetThrottle(db, attemptKey);
  await returnAttempt(db, accountKey);
  await returnAttempt(db, ipKey);
  return sim;
}

/** The line's dates follow the application clock; the PIN budgets and lock age on wall time (API.md). */
export async function bindCard(
  db: Db, clocks: { app: Clock; wall: Clock }, secretKey: Buffer, input: { userId: string; iccid: string; pin: string; nickname?: string; ip: string },
): Promise<string> {
  const parsed = parseIccid(input.iccid);
  if (!parsed.ok) throw validation('invalid_iccid', parsed.message, [{ path: 'iccid', message: parsed.message }]);
  // Checked before the PIN: a bad nickname must not cost the subscriber one of their 5 attempts.
  const nickname = normaliseNickname(input.nickname);
  const sim = await checkPin(db, secretKey, { iccid: parsed.value, pin: input.pin, userId: input.userId, ip: input.ip }, clocks.wall.now());
  return db.transaction((tx) => claimSim(tx, sim, input.userId, clocks.app.now(), nickname));
}

/** Binds an available SIM to a user as a new line; the guarded UPDATE makes two concurrent binds one winner. */
export async function claimSim(tx: Queryable, sim: Pick<SimRow, 'id' | 'iccid' | 'msisdn' | 'form' | 'carrier_code'>, userId: string, now: Date, nickname: string | null): Promise<string> {
  const claimed = await tx.query(`UPDATE sims SET status = 'bound' WHERE id = $1 AND status = 'available' RETURNING id`, [sim.id]);
  if (claimed.rowCount === 0) throw conflict('card_already_bound', 'this card is already bound to a line');
  const profile = await getCarrier(tx, sim.carrier_code);
  const outcome = advanceLifecycle(initialLineState(), profile, [{ type: 'bound', at: now }], now);
  const lineId = newId('line');
  await tx.query(
    `INSERT INTO lines (id, sim_id, user_id, iccid, msisdn, carrier_code, form, nickname, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
    [lineId, sim.id, userId, sim.iccid, sim.msisdn, sim.carrier_code, sim.form, nickname, storedStatus(outcome), now],
  );
  await recordTransitions(tx, lineId, outcome, null);
  return lineId;
}

// ---------------------------------------------------------------------------------------------
// Subscriber settings

export interface LineSettingsInput {
  nickname?: string | null;
  autoRenew?: { enabled: boolean; planId: string | null; monthlyCap?: { amount: number; currency: string } | null };
}

/** What auto-renewal needs to know of a plan; the catalog answers (lines does not read its tables). */
export type AutoRenewPlanLookup = (planId: string) => Promise<{ autoRenewable: boolean; currency: string } | null>;

export async function updateLineSettings(
  db: Queryable, userId: string, lineId: string, input: LineSettingsInput, lookupPlan: AutoRenewPlanLookup, now: Date,
): Promise<void> {
  const line = await loadLineRow(db, lineId, { userId });
  const nickname = input.nickname === undefined ? undefined : normaliseNickname(input.nickname);
  const auto = input.autoRenew;
  if (auto?.enabled && !auto.planId) {
    throw validation('plan_required', 'turning auto-renewal on needs a planId', [{ path: 'autoRenew.planId', message: 'required when enabled' }]);
  }
  if (auto?.planId) {
    // A renewal plan must exist, renew, and be sold in the line's currency — or renewal would fail
    // silently months later, when the number is at stake.
    const plan = await lookupPlan(auto.planId);
    const problem = !plan ? 'no such plan' : !plan.autoRenewable ? 'this plan cannot auto-renew'
      : plan.currency !== line.carrier_currency ? `the plan is not sold in ${line.carrier_currency}` : null;
    if (problem) throw validation('invalid_auto_renew_plan', problem, [{ path: 'autoRenew.planId', message: problem }]);
  }
  const cap = auto?.monthlyCap ?? null;
  if (cap && cap.currency !== line.carrier_currency) {
    throw validation('currency_mismatch', `the cap must be in ${line.carrier_currency}, the line's currency`, [
      { path: 'autoRenew.monthlyCap.currency', message: `must be ${line.carrier_currency}` },
    ]);
  }
  await db.query(
    `UPDATE lines SET
        nickname = CASE WHEN $2 THEN $3 ELSE nickname END,
        auto_renew_enabled = CASE WHEN $4 THEN $5 ELSE auto_renew_enabled END,
        auto_renew_plan_id = CASE WHEN $4 THEN $6 ELSE auto_renew_plan_id END,
        auto_renew_monthly_cap_minor = CASE WHEN $7 THEN $8 ELSE auto_renew_monthly_cap_minor END,
        auto_renew_cap_currency = CASE WHEN $7 THEN $9 ELSE auto_renew_cap_currency END,
        updated_at = $10
      WHERE id = $1`,
    [
      lineId, nickname !== undefined, nickname ?? null,
      auto !== undefined, auto?.enabled ?? false, auto?.planId ?? null,
      auto?.monthlyCap !== undefined, cap?.amount ?? null, cap?.currency ?? null, now,
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Operator actions

export type OperatorAction = 'suspend' | 'resume' | 'terminate';
const ACTION_EVENT: Record<OperatorAction, 'operator_suspend' | 'operator_resume' | 'operator_terminate'> = {
  suspend: 'operator_suspend', resume: 'operator_resume', terminate: 'operator_terminate',
};

/**
 * The line's status as of `now`, by the lifecycle function — not the stored status, which lags
 * until the sweep has run (a number due for recycling is recycled, swept or not).
 */
export function statusAsOf(row: LineRow, profile: CarrierProfile, now: Date): LineStatus {
  return storedStatus(advanceLifecycle(lifecycleStateOf(row), profile, [], now));
}

/** 409 for a line whose number is gone or that an operator ended: nothing more can be done with it. */
function assertNotTerminal(status: LineStatus, doing: string): void {
  if (status === 'terminated') throw conflict('line_terminated', `the line is terminated; it cannot ${doing}`);
  if (status === 'recycled') throw conflict('line_recycled', `the line was recycled, its number is gone; it cannot ${doing}`);
}

/**
 * Suspends, resumes or terminates a line through the lifecycle function; audited in the same
 * transaction. Guarded by state (under the row lock, judged as of now): a repeated suspend, a
 * resume of a line no operator suspended, or any action on a terminal line is a 409 that changes
 * and audits nothing.
 */
export async function operateLine(
  db: Db, clock: Clock, actor: Actor, input: { lineId: string; action: OperatorAction; reason?: string },
): Promise<void> {
  const now = clock.now();
  await db.transaction(async (tx) => {
    const row = await loadLineRow(tx, input.lineId, { lock: true });
    const profile = await getCarrier(tx, row.carrier_code);
    const current = statusAsOf(row, profile, now);
    assertNotTerminal(current, input.action === 'terminate' ? 'be terminated again' : `be ${input.action}d`);
    if (input.action === 'suspend' && row.operator_suspended) throw conflict('line_already_suspended', 'an operator has already suspended this line');
    if (input.action === 'resume' && !row.operator_suspended) throw conflict('line_not_suspended', 'the line is not suspended by an operator');
    const outcome = await applyLifecycle(tx, row, profile, [{ type: ACTION_EVENT[input.action], at: now }], now, input.reason ?? null);
    await recordAudit(tx, actor, {
      action: `line.${input.action}`, targetType: 'line', targetId: row.id, at: now,
      details: { from: current, to: outcome.state.status, ...(input.reason ? { reason: input.reason } : {}) },
    });
  });
}

/** For the eSIM route: the activation code is only for a line that still has its number. */
export async function assertLineUsable(db: Queryable, row: LineRow, now: Date, doing: string): Promise<void> {
  assertNotTerminal(statusAsOf(row, await getCarrier(db, row.carrier_code), now), doing);
}

export interface StaffLineFilter {
  status?: LineStatus;
  expiringWithinDays?: number;
  limit: number;
  cursor?: string;
}

/**
 * Lines for the console, newest first, keyset-paged by id. `expiringWithinDays` finds the lines
 * that will lapse in that window by their real lapse instant L = max(expiresAt, keep-alive
 * deadline) — stored as lifecycle_due_at while a line is active — so keep-alive-only lines (no
 * validity of their own) are found too; lines already lapsed (due at or before now) are not.
 */
export async function listLinesForStaff(db: Queryable, now: Date, filter: StaffLineFilter): Promise<Page<LineRow>> {
  const limit = clampPageLimit(filter.limit);
  const until = filter.expiringWithinDays === undefined ? null : addDays(now, filter.expiringWithinDays);
  const { rows } = await db.query<LineRow>(
    `${LINE_SELECT}
      WHERE ($1::text IS NULL OR l.status = $1)
        AND ($2::timestamptz IS NULL OR (l.status = 'active' AND l.lifecycle_due_at > $3 AND l.lifecycle_due_at <= $2))
        AND ($4::text IS NULL OR l.id < $4)
      ORDER BY l.id DESC LIMIT $5`,
    [filter.status ?? null, until, now, filter.cursor ?? null, limit + 1],
  );
  return keysetPage(rows, limit, (row) => row.id);
}

// ---------------------------------------------------------------------------------------------
// Auto-renewal's reads (src/modules/renewals owns renewals; lines owns the switch and the expiry)

export interface AutoRenewLine {
  id: string;
  userId: string;
  msisdn: string | null;
  nickname: string | null;
  expiresAt: Date;
  planId: string;
}

const toAutoRenewLine = (r: LineRow): AutoRenewLine | null =>
  r.expires_at === null || r.auto_renew_plan_id === null ? null
    : { id: r.id, userId: r.user_id, msisdn: r.msisdn, nickname: r.nickname, expiresAt: r.expires_at, planId: r.auto_renew_plan_id };

/**
 * Lines with auto-renew on whose expiry is at or before `by`, by expiry then id, keyset-paged after
 * `after` (served by lines_auto_renew_idx) — a page may come back shorter than it read: lines whose
 * number is lost as of `now` (recycled by their dates, the sweep not run yet) are left out, since
 * renewing them is refused anyway. `nextAfter` continues the scan (null: no more).
 */
export async function autoRenewLinesExpiringBy(
  q: Queryable, now: Date, by: Date, page: { limit: number; after: { expiresAt: Date; id: string } | null },
): Promise<{ lines: AutoRenewLine[]; nextAfter: { expiresAt: Date; id: string } | null }> {
  const { rows } = await q.query<LineRow>(
    `${LINE_SELECT} WHERE l.auto_renew_enabled AND l.auto_renew_plan_id IS NOT NULL AND l.expires_at IS NOT NULL AND l.expires_at <= $1
        AND l.status IN ('active', 'grace', 'suspended')
        AND ($2::timestamptz IS NULL OR (l.expires_at, l.id) > ($2::timestamptz, $3::text))
      ORDER BY l.expires_at, l.id LIMIT $4`,
    [by, page.after?.expiresAt ?? null, page.after?.id ?? '', Math.min(page.limit, PAGE_LIMIT_MAX)],
  );
  const carriers = new Map<string, Carrier>();
  const lines: AutoRenewLine[] = [];
  for (const row of rows) {
    const carrier = carriers.get(row.carrier_code) ?? (await getCarrier(q, row.carrier_code));
    carriers.set(row.carrier_code, carrier);
    const line = toAutoRenewLine(row);
    if (line !== null && statusAsOf(row, carrier, now) !== 'recycled') lines.push(line);
  }
  const last = rows.at(-1);
  const full = rows.length >= Math.min(page.limit, PAGE_LIMIT_MAX);
  return { lines, nextAfter: full && last?.expires_at ? { expiresAt: last.expires_at, id: last.id } : null };
}

export interface AutoRenewState {
  enabled: boolean;
  planId: string | null;
  msisdn: string | null;
  nickname: string | null;
  expiresAt: Date | null;
  /** The subscriber's monthly cap on automatic charges, or null for none. */
  monthlyCap: { amountMinor: number; currency: string } | null;
}

/** A line's auto-renew switch, cap and label as they are now; null when the line is gone. */
export async function autoRenewStateOf(q: Queryable, lineId: string): Promise<AutoRenewState | null> {
  const { rows } = await q.query<LineRow>(`${LINE_SELECT} WHERE l.id = $1`, [lineId]);
  const r = rows[0];
  if (!r) return null;
  const cap = r.auto_renew_monthly_cap_minor === null || r.auto_renew_cap_currency === null
    ? null : { amountMinor: Number(r.auto_renew_monthly_cap_minor), currency: r.auto_renew_cap_currency };
  return { enabled: r.auto_renew_enabled, planId: r.auto_renew_plan_id, msisdn: r.msisdn, nickname: r.nickname, expiresAt: r.expires_at, monthlyCap: cap };
}

// ---------------------------------------------------------------------------------------------
// Credits: what orders and top-ups do to a line

export interface CreditBucket {
  id: string;
  unit: BucketUnit;
  /** Base units: bytes, seconds, messages. */
  remaining: number;
  total: number;
  expiresAt: Date;
  source: string;
}

/** Bucket rows read for one line; a line holds a few per purchase and purchases expire. */
export const LINE_BUCKETS_MAX = 1_000;

/**
 * The line's expiry and live buckets. A caller that read the line in this request passes its
 * `expiresAt` (a read saved); inside a crediting transaction the caller holds the row lock.
 */
export async function getLineCreditState(
  db: Queryable, lineId: string, now: Date, known?: { expiresAt: Date | null },
): Promise<LineCreditState> {
  const expiresAt = known ? known.expiresAt : await lineExpiry(db, lineId);
  const { rows } = await db.query<{ id: string; unit: BucketUnit; remaining: number; total: number; expires_at: Date; source: string }>(
    `SELECT id, unit, remaining, total, expires_at, source FROM buckets
      WHERE line_id = $1 AND expires_at > $2
      ORDER BY expires_at, source = 'bonus' DESC, array_position(ARRAY['data', 'voice', 'sms'], unit), id LIMIT $3`,
    [lineId, now, LINE_BUCKETS_MAX],
  );
  return {
    expiresAt,
    buckets: rows.map((r) => ({ id: r.id, unit: r.unit, remaining: r.remaining, total: r.total, expiresAt: r.expires_at, source: r.source })),
  };
}

async function lineExpiry(db: Queryable, lineId: string): Promise<Date | null> {
  const { rows } = await db.query<{ expires_at: Date | null }>('SELECT expires_at FROM lines WHERE id = $1', [lineId]);
  const first = rows[0];
  if (!first) throw lineNotFound();
  return first.expires_at;
}

/** Records that `orderId` credited the line; false when it already had (the caller then changes nothing). */
async function claimCredit(tx: Queryable, orderId: string, lineId: string, kind: LineCreditKind, now: Date): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO line_credits (order_id, line_id, kind, applied_at) VALUES ($1, $2, $3, $4) ON CONFLICT (order_id) DO NOTHING`,
    [orderId, lineId, kind, now],
  );
  return rowCount > 0;
}

/**
 * Refuses a recharge of a line that is terminated or recycled as of `now` — judged by the lifecycle
 * function, not the stored status, which lags until the sweep has run (a number due for recycling
 * must not be sold a plan in the meantime).
 */
function assertRechargeable(row: LineRow, profile: CarrierProfile, now: Date): void {
  assertNotTerminal(statusAsOf(row, profile, now), 'be recharged');
}

/** A line's expiry and live buckets, as crediting sees them. */
export interface LineCreditState {
  expiresAt: Date | null;
  buckets: CreditBucket[];
}

/** The live buckets in crediting's order (getLineCreditState), as one JSON array, inside a line read. */
const LIVE_BUCKETS_JSON = `(SELECT coalesce(jsonb_agg(jsonb_build_object(
      'id', b.id, 'unit', b.unit, 'remaining', b.remaining, 'total', b.total, 'expires_at', b.expires_at, 'source', b.source)
      ORDER BY b.expires_at, b.source = 'bonus' DESC, array_position(ARRAY['data', 'voice', 'sms'], b.unit), b.id), '[]'::jsonb)
    FROM (SELECT * FROM buckets WHERE line_id = l.id AND expires_at > $3
           ORDER BY expires_at, source = 'bonus' DESC, array_position(ARRAY['data', 'voice', 'sms'], unit), id LIMIT $4) b)`;

interface BucketJson {
  id: string;
  unit: BucketUnit;
  remaining: number;
  total: number;
  expires_at: string;
  source: string;
}

/**
 * For orders: refuse before any money is taken what crediting would refuse after (409). With
 * `userId`, also the owner check (404 line_not_found for another's line), in the same read — which
 * brings the carrier's row and the line's credit state (what the order's preview is computed on) too.
 */
export async function assertLineRechargeable(
  db: Queryable, lineId: string, now: Date, owner: { userId?: string } = {},
): Promise<{ line: OwnedLine; creditState: LineCreditState }> {
  // Every column of carriers is JSON-safe; bucket timestamps come back as ISO text.
  const { rows } = await db.query<LineRow & { carrier: CarrierRow; live_buckets: BucketJson[] }>(
    `SELECT l.*, c.country AS carrier_country, c.currency AS carrier_currency, to_jsonb(c) AS carrier, ${LIVE_BUCKETS_JSON} AS live_buckets
       FROM lines l JOIN carriers c ON c.code = l.carrier_code WHERE l.id = $1 AND ($2::text IS NULL OR l.user_id = $2)`,
    [lineId, owner.userId ?? null, now, LINE_BUCKETS_MAX],
  );
  const row = rows[0];
  if (!row) throw lineNotFound();
  assertRechargeable(row, toCarrier(row.carrier), now);
  const buckets = row.live_buckets.map((b) => ({
    id: b.id, unit: b.unit, remaining: Number(b.remaining), total: Number(b.total), expiresAt: new Date(b.expires_at), source: b.source,
  }));
  return { line: toOwnedLine(row), creditState: { expiresAt: row.expires_at, buckets } };
}

export interface CreditPlanInput {
  lineId: string;
  orderId: string;
  now: Date;
  /** What the plan was when sold (the catalog's snapshot is structurally one of these). */
  plan: { id: string; name: Record<string, string>; kind: PlanKind; validityDays: number; allowances: Allowances; expiryPolicy: ExpiryPolicy };
  bonus: { dataMb: number; validityDays: number };
}

/**
 * Validity a top-up grants: only where the carrier says so, added to the current expiry (or now);
 * null when it grants none. The quote's preview of a top-up calls this too.
 */
export function topupExpiry(profile: CarrierProfile, expiresAt: Date | null, now: Date): Date | null {
  if (!profile.topupGrantsValidity) return null;
  const from = expiresAt !== null && expiresAt.getTime() > now.getTime() ? expiresAt : now;
  return addDays(from, profile.validityDays);
}

/**
 * Applies a paid plan to a line, inside the caller's transaction (the one that records the order
 * as paid). Idempotent per orderId: the line_credits primary key is claimed first, so a second call
 * returns {applied: false} and changes nothing. A purchase is a recharge and chargeable activity.
 */
export async function creditPlan(tx: Queryable, input: CreditPlanInput): Promise<{ applied: boolean }> {
  const { now, plan } = input;
  const row = await loadLineRow(tx, input.lineId, { lock: true });
  if (!(await claimCredit(tx, input.orderId, row.id, 'plan', now))) return { applied: false };
  const profile = await getCarrier(tx, row.carrier_code);
  assertRechargeable(row, profile, now);
  const state = await getLineCreditState(tx, row.id, now, { expiresAt: row.expires_at });
  const credit = planCredit({ now, line: state, plan, bonus: input.bonus });
  if (!credit.ok) throw conflict(credit.code, credit.message);
  const c = credit.value;
  // Each only when the credit touches such buckets: most credits of a line expire or extend none.
  if (c.expireBuckets.length > 0) {
    await tx.query(
      `UPDATE buckets SET expired_remainder = expired_remainder + remaining, remaining = 0, expires_at = $2 WHERE id = ANY($1::text[])`,
      [c.expireBuckets.map((b) => b.id), now],
    );
  }
  if (c.extendBuckets.length > 0) {
    // `b.id = ANY($1)` beside the join: the buckets are found by key whatever the plan thinks of the
    // table's size (a plan prepared while it was small joined it by hash, scanning it whole).
    await tx.query(
      `UPDATE buckets b SET expires_at = v.expires_at FROM unnest($1::text[], $2::timestamptz[]) AS v(id, expires_at)
        WHERE b.id = v.id AND b.id = ANY($1::text[])`,
      [c.extendBuckets.map((b) => b.id), c.extendBuckets.map((b) => b.expiresAt)],
    );
  }
  await insertBuckets(tx, row.id, input.orderId, plan.kind === 'addon', c.newBuckets);
  const grantsValidity = plan.kind === 'base' || plan.kind === 'bundle';
  const newExpiresAt = grantsValidity ? c.expiresAt : plan.kind === 'topup' ? topupExpiry(profile, row.expires_at, now) : null;
  await applyLifecycle(tx, row, profile, [{ type: 'recharged', at: now, newExpiresAt }, { type: 'activity', at: now }], now, `order ${input.orderId}`);
  // Add-ons ride on the current plan and a top-up is money, not a plan: neither replaces it.
  if (grantsValidity) {
    await tx.query('UPDATE lines SET plan_id = $2, plan_name = $3 WHERE id = $1', [row.id, plan.id, JSON.stringify(plan.name)]);
  }
  return { applied: true };
}

async function insertBuckets(
  tx: Queryable, lineId: string, orderId: string, addon: boolean,
  buckets: ReadonlyArray<{ unit: BucketUnit; quantity: number; expiresAt: Date; source: 'plan' | 'bonus' }>,
): Promise<void> {
  if (buckets.length === 0) return;
  await tx.query(
    `INSERT INTO buckets (id, line_id, unit, total, remaining, expires_at, source, order_id)
     SELECT v.id, $1, v.unit, v.quantity, v.quantity, v.expires_at, v.source, $2
       FROM unnest($3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[]) AS v(id, unit, quantity, expires_at, source)`,
    [
      lineId, orderId, buckets.map(() => newId('bkt')), buckets.map((b) => b.unit), buckets.map((b) => b.quantity),
      buckets.map((b) => b.expiresAt), buckets.map((b) => (addon && b.source === 'plan' ? 'addon' : b.source)),
    ],
  );
}

/**
 * A wallet top-up credited to a line's account: it counts as a recharge (keep-alive) and as
 * chargeable activity, and grants the carrier's validityDays only when the carrier's profile says
 * top-ups do. Idempotent per orderId like creditPlan; runs in the caller's transaction.
 */
export async function recordRecharge(tx: Queryable, input: { lineId: string; orderId: string; now: Date }): Promise<{ applied: boolean }> {
  const row = await loadLineRow(tx, input.lineId, { lock: true });
  if (!(await claimCredit(tx, input.orderId, row.id, 'recharge', input.now))) return { applied: false };
  const profile = await getCarrier(tx, row.carrier_code);
  assertRechargeable(row, profile, input.now);
  const newExpiresAt = topupExpiry(profile, row.expires_at, input.now);
  const events: LifecycleEvent[] = [{ type: 'recharged', at: input.now, newExpiresAt }, { type: 'activity', at: input.now }];
  await applyLifecycle(tx, row, profile, events, input.now, `top-up ${input.orderId}`);
  return { applied: true };
}


// ---------------------------------------------------------------------------------------------
// Usage: the set-based reads and writes rating needs (src/modules/usage draws, lines owns the rows)

export interface UsageLine {
  id: string;
  userId: string;
  iccid: string;
  msisdn: string | null;
  currency: string;
  paygRates: CarrierProfile['paygRates'];
}

/**
 * The live lines the ICCIDs and MSISDNs name, locked in id order (one global order: concurrent
 * batches touching the same lines wait, never deadlock). Recycled and terminated lines take no usage.
 */
export async function lockLinesForUsage(tx: Queryable, iccids: readonly string[], msisdns: readonly string[]): Promise<UsageLine[]> {
  if (iccids.length === 0 && msisdns.length === 0) return [];
  const { rows } = await tx.query<{ id: string; user_id: string; iccid: string; msisdn: string | null; currency: string; payg_rates: CarrierProfile['paygRates'] }>(
    `SELECT l.id, l.user_id, l.iccid, l.msisdn, c.currency, c.payg_rates
       FROM lines l JOIN carriers c ON c.code = l.carrier_code
      WHERE (l.iccid = ANY($1::text[]) OR l.msisdn = ANY($2::text[])) AND l.status NOT IN ('recycled', 'terminated')
      ORDER BY l.id FOR NO KEY UPDATE OF l`,
    [iccids, msisdns],
  );
  return rows.map((r) => ({ id: r.id, userId: r.user_id, iccid: r.iccid, msisdn: r.msisdn, currency: r.currency, paygRates: r.payg_rates }));
}

export interface UsageBucket {
  id: string;
  lineId: string;
  unit: BucketUnit;
  total: number;
  remaining: number;
  expiresAt: Date;
  source: string;
}

/** The buckets with something left that usage from `since` on may draw, locked in id order. */
export async function lockBucketsForUsage(tx: Queryable, lineIds: readonly string[], since: Date): Promise<UsageBucket[]> {
  if (lineIds.length === 0) return [];
  const { rows } = await tx.query<{ id: string; line_id: string; unit: BucketUnit; total: number; remaining: number; expires_at: Date; source: string }>(
    `SELECT id, line_id, unit, total::float8 AS total, remaining::float8 AS remaining, expires_at, source FROM buckets
      WHERE line_id = ANY($1::text[]) AND remaining > 0 AND expires_at > $2 ORDER BY id FOR UPDATE`,
    [lineIds, since],
  );
  return rows.map((r) => ({ id: r.id, lineId: r.line_id, unit: r.unit, total: Number(r.total), remaining: Number(r.remaining), expiresAt: r.expires_at, source: r.source }));
}

/** Lowers each bucket by its draw, one statement; the CHECK refuses a bucket going negative. */
export async function drawFromBuckets(tx: Queryable, draws: ReadonlyArray<{ bucketId: string; units: number }>): Promise<void> {
  if (draws.length === 0) return;
  await tx.query(
    `UPDATE buckets b SET remaining = b.remaining - v.units
       FROM unnest($1::text[], $2::bigint[]) AS v(id, units) WHERE b.id = v.id`,
    [draws.map((d) => d.bucketId), draws.map((d) => d.units)],
  );
}

/**
 * Chargeable usage is keep-alive activity: each line's last activity moves forward (never back,
 * whatever order records arrive in; a line it would not move is not written). On a carrier whose
 * keep-alive rule is activity, an active line's lapse instant L = max(expiresAt, keepAliveBy)
 * (lifecycle_due_at, see domain/lifecycle.ts) moves with it at once: keepAliveBy only grows, so the
 * new L is max(old L, max(lastRechargeAt, activity) + everyDays). Days are exact 24 h, as in the
 * domain. A line already due (not yet swept) or lapsed is left to the lifecycle sweep: activity
 * revives nothing.
 */
export async function recordUsageActivity(tx: Queryable, activity: ReadonlyArray<{ lineId: string; at: Date }>, now: Date): Promise<void> {
  if (activity.length === 0) return;
  await tx.query(
    `UPDATE lines l SET last_activity_at = v.at, updated_at = $3,
            lifecycle_due_at = CASE
              WHEN c.keep_alive_rule = 'activity' AND l.status = 'active' AND l.lapsed_at IS NULL AND l.last_recharge_at IS NOT NULL
                   AND l.lifecycle_due_at > $3
              THEN GREATEST(l.lifecycle_due_at, GREATEST(l.last_recharge_at, v.at) + c.keep_alive_every_days * interval '24 hours')
              ELSE l.lifecycle_due_at END
       FROM unnest($1::text[], $2::timestamptz[]) AS v(id, at), carriers c
      WHERE l.id = v.id AND c.code = l.carrier_code AND (l.last_activity_at IS NULL OR l.last_activity_at < v.at)`,
    [activity.map((a) => a.lineId), activity.map((a) => a.at), now],
  );
}

/** Flags lines for operators (unfunded usage). */
export async function flagLines(tx: Queryable, lineIds: readonly string[], now: Date): Promise<void> {
  if (lineIds.length === 0) return;
  await tx.query('UPDATE lines SET flagged = true, updated_at = $2 WHERE id = ANY($1::text[]) AND NOT flagged', [lineIds, now]);
}
