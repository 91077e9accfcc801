// Owns the line lifecycle as a pure state machine:
//   inventory → bound → active → grace → suspended → recycled, plus terminated (by an operator).
//
// Semantics (all times UTC; "N days" is exactly N × 24 h — no calendar or DST arithmetic, so a
// deadline is the same instant on every server):
// - keepAliveBy: rule `recharge` → lastRechargeAt + everyDays; rule `activity` →
//   max(lastActivityAt, lastRechargeAt) + everyDays (a purchase is chargeable activity). null until
//   the line was first recharged — a line only becomes active by a recharge.
// - The line lapses at L = max(expiresAt, keepAliveBy), ignoring nulls; it is active while t < L.
//   A line stays alive while EITHER its paid validity OR its keep-alive window holds: buying a
//   30-day plan on a UK line (keep-alive: activity within 180 days) must not shorten the number's
//   life to 30 days, and paid validity beyond a US line's 30-day recharge cycle is honoured.
//   expiresAt is the line's service validity (null for carriers whose lines have none, e.g. UK
//   PAYG, where only keep-alive applies). The lapse reason is `validity_expired` when expiresAt
//   is the later deadline (ties included), else `keep_alive_missed`. After a plan's validity ends
//   while the keep-alive window still holds, the line stays `active`: the number lives on, on
//   pay-as-you-go, and the plan's buckets expire on their own dates.
// - At L the line enters grace (graceDays > 0) until L + graceDays, then suspended until
//   L + graceDays + suspendDays, then recycled. A phase of 0 days is skipped, not emitted: with
//   grace 0 and suspend 0 the line goes active → recycled at L. lapsedAt pins L once lapsed, so
//   later activity cannot move a lapsed line's deadlines.
// - Only a recharge revives a lapsed (grace/suspended) line, and only if the deadlines it leaves
//   are after the recharge — which, as every recharge opens a fresh keep-alive window, any
//   recharge before recycling does; chargeable activity is recorded but revives nothing. A recharge
//   grants validity only when it carries newExpiresAt (the caller applies the plan's expiry
//   policy and the carrier's topupGrantsValidity); it always counts for keep-alive.
// - bound → active on the first recharge. An inventory line only reacts to `bound` and
//   `operator_terminate`: usage or payments on unsold stock are not a subscriber's.
// - Operator suspend: status suspended whatever the dates. Meanwhile the clock still runs in the
//   background (lapsedAt is set at L, a recharge before the would-be recycling still revives the
//   dates) but no time-driven transition is emitted; resume recomputes the status from the dates
//   at the resume instant (active, grace, suspended or recycled).
// - recycled and terminated are terminal: later events change nothing and emit nothing.
// - Events are applied in time order (stable sort by `at`); before each event, and finally up to
//   `now`, every time-driven transition due at or before that instant is emitted with its exact
//   due time — so one call after two years of downtime equals stepping day by day, and a second
//   call with the same `now` and no events emits nothing (idempotent). An event is applied after
//   transitions due at its own instant (at t = L the line has lapsed; a recharge at L revives it).
// - An event older than a phase the line is already in (a late-arriving record) still applies;
//   the transitions it causes are stamped no earlier than the start of that phase.
import type { CarrierProfile } from './carrier-profile.ts';
import { invariant } from './invariant.ts';

/** Every lifecycle state, in lifecycle order; `inventory` is the card's before any line exists. */
export const LINE_STATUSES = ['inventory', 'bound', 'active', 'grace', 'suspended', 'recycled', 'terminated'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];
/** The states a stored line can be in: a line is created bound, so `inventory` is never a line's. */
export const STORED_LINE_STATUSES = ['bound', 'active', 'grace', 'suspended', 'recycled', 'terminated'] as const satisfies readonly LineStatus[];
export type StoredLineStatus = (typeof STORED_LINE_STATUSES)[number];

export interface LineLifecycleState {
  readonly status: LineStatus;
  /** Service validity granted by plans (or top-ups where the carrier says so). */
  readonly expiresAt: Date | null;
  readonly lastRechargeAt: Date | null;
  /** Last chargeable activity: call, SMS, data, purchase. */
  readonly lastActivityAt: Date | null;
  /** When the line lapsed (L), while it is grace / suspended / recycled; null while it is alive. */
  readonly lapsedAt: Date | null;
  readonly operatorSuspended: boolean;
}

export type LifecycleEvent =
  | { readonly type: 'bound'; readonly at: Date }
  /** A plan purchase or a wallet top-up; newExpiresAt (after `at`) when it grants validity. */
  | { readonly type: 'recharged'; readonly at: Date; readonly newExpiresAt?: Date | null }
  | { readonly type: 'activity'; readonly at: Date }
  | { readonly type: 'operator_suspend'; readonly at: Date }
  | { readonly type: 'operator_resume'; readonly at: Date }
  | { readonly type: 'operator_terminate'; readonly at: Date };

type TransitionReason =
  | 'bound'
  | 'recharged'
  | 'validity_expired'
  | 'keep_alive_missed'
  | 'grace_ended'
  | 'suspension_ended'
  | 'operator_suspend'
  | 'operator_resume'
  | 'operator_terminate';

export interface LifecycleTransition {
  readonly from: LineStatus;
  readonly to: LineStatus;
  readonly at: Date;
  readonly reason: TransitionReason;
}

export interface LifecycleDeadlines {
  /** The end of the keep-alive window alone; the line lives to the later of it and expiresAt (lapsesAt). */
  readonly keepAliveBy: Date | null;
  /** L = max(expiresAt, keepAliveBy); once lapsed, the instant it lapsed. */
  readonly lapsesAt: Date | null;
  /** L + graceDays (equal to lapsesAt when the carrier has no grace). */
  readonly graceEndsAt: Date | null;
  /** L + graceDays + suspendDays: the number is safe until (strictly before) this instant. */
  readonly recycleAt: Date | null;
}

export interface LifecycleOutcome {
  readonly state: LineLifecycleState;
  readonly transitions: LifecycleTransition[];
  readonly deadlines: LifecycleDeadlines;
}

export const KEEP_ALIVE_ACTIONS = ['recharge', 'use_the_line'] as const;
type KeepAliveAction = (typeof KEEP_ALIVE_ACTIONS)[number];

export interface KeepAliveAdvice {
  /** The number is kept until (strictly before) this instant if nothing is done (recycleAt). */
  readonly safeUntil: Date | null;
  /**
   * Do `action` before this instant: L while active (after it the line lapses), the recycling
   * instant while in grace or suspended; null when no deadline applies or the subscriber cannot act.
   */
  readonly actionBy: Date | null;
  readonly action: KeepAliveAction | null;
}

/** The part of a carrier profile the lifecycle reads. */
export type LifecycleProfile = Pick<CarrierProfile, 'graceDays' | 'suspendDays' | 'keepAlive'>;

export const DAY_MS = 86_400_000;
/** Events applied in one call; a line never has more between two lifecycle runs. */
const LIFECYCLE_EVENTS_MAX = 10_000;

type LapsedStatus = 'grace' | 'suspended' | 'recycled';
type Working = { -readonly [K in keyof LineLifecycleState]: LineLifecycleState[K] };

const TERMINAL: ReadonlySet<LineStatus> = new Set(['recycled', 'terminated']);
// Order of the time-driven path, so a phase missing from the profile (0 days) is simply skipped.
const PATH_RANK: Readonly<Record<LineStatus, number>> = {
  inventory: -2, bound: -1, active: 0, grace: 1, suspended: 2, recycled: 3, terminated: 4,
};
const LEAVING_REASON: Readonly<Partial<Record<LineStatus, TransitionReason>>> = {
  grace: 'grace_ended',
  suspended: 'suspension_ended',
};

export function initialLineState(): LineLifecycleState {
  return { status: 'inventory', expiresAt: null, lastRechargeAt: null, lastActivityAt: null, lapsedAt: null, operatorSuspended: false };
}

function isTerminalStatus(status: LineStatus): boolean {
  return TERMINAL.has(status);
}

export const addDays = (at: Date, days: number): Date => new Date(at.getTime() + days * DAY_MS);

export function advanceLifecycle(
  state: LineLifecycleState,
  profile: LifecycleProfile,
  events: readonly LifecycleEvent[],
  now: Date,
): LifecycleOutcome {
  invariant(isValidDate(now), 'now must be a valid date');
  invariant(events.length <= LIFECYCLE_EVENTS_MAX, `at most ${LIFECYCLE_EVENTS_MAX} lifecycle events per call`);
  assertProfile(profile);
  assertState(state);
  for (const event of events) {
    invariant(isValidDate(event.at), `${event.type} event has an invalid date`);
    invariant(event.at.getTime() <= now.getTime(), `${event.type} event at ${event.at.toISOString()} is after now`);
  }
  // Array.prototype.sort is stable, so same-instant events keep the order they were given in.
  const ordered = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
  const transitions: LifecycleTransition[] = [];
  let current: Working = { ...state };
  for (const event of ordered) {
    current = runClock(current, profile, event.at, transitions);
    current = applyEvent(current, profile, event, transitions);
  }
  current = runClock(current, profile, now, transitions);
  return { state: current, transitions, deadlines: deadlinesFor(current, profile) };
}

export function deadlinesFor(state: LineLifecycleState, profile: LifecycleProfile): LifecycleDeadlines {
  if (state.status === 'terminated') return { keepAliveBy: null, lapsesAt: null, graceEndsAt: null, recycleAt: null };
  const keepAliveBy = keepAliveDeadline(state, profile);
  const lapsesAt = state.lapsedAt ?? lapseFromDates(state, profile)?.at ?? null;
  const graceEndsAt = lapsesAt === null ? null : addDays(lapsesAt, profile.graceDays);
  const recycleAt = graceEndsAt === null ? null : addDays(graceEndsAt, profile.suspendDays);
  return { keepAliveBy, lapsesAt, graceEndsAt, recycleAt };
}

/** "Number safe until X — do Y by Z", as of `now` (the state is first advanced to `now`). */
export function keepAliveAdvice(state: LineLifecycleState, profile: LifecycleProfile, now: Date): KeepAliveAdvice {
  const { state: current, deadlines } = advanceLifecycle(state, profile, [], now);
  switch (current.status) {
    case 'inventory':
    case 'recycled':
    case 'terminated':
      return { safeUntil: null, actionBy: null, action: null };
    case 'bound':
      // Not active yet: a first recharge starts the clocks; nothing can be lost before that.
      return { safeUntil: null, actionBy: null, action: 'recharge' };
    case 'active': {
      // The binding deadline is the later one: using the line helps only when it is the keep-alive
      // window of an activity carrier; paid validity, or a recharge-rule window, needs a recharge.
      const lapse = lapseFromDates(current, profile);
      const action: KeepAliveAction =
        lapse?.reason === 'keep_alive_missed' && profile.keepAlive.rule === 'activity' ? 'use_the_line' : 'recharge';
      return { safeUntil: deadlines.recycleAt, actionBy: deadlines.lapsesAt, action };
    }
    case 'grace':
    case 'suspended':
      // The subscriber cannot lift an operator suspension; otherwise only a recharge revives the line.
      if (current.operatorSuspended) return { safeUntil: deadlines.recycleAt, actionBy: null, action: null };
      return { safeUntil: deadlines.recycleAt, actionBy: deadlines.recycleAt, action: 'recharge' };
  }
}

function keepAliveDeadline(state: LineLifecycleState, profile: LifecycleProfile): Date | null {
  if (state.lastRechargeAt === null) return null;
  const base = profile.keepAlive.rule === 'recharge' ? state.lastRechargeAt : latest(state.lastRechargeAt, state.lastActivityAt);
  return addDays(base, profile.keepAlive.everyDays);
}

function lapseFromDates(
  state: LineLifecycleState,
  profile: LifecycleProfile,
): { at: Date; reason: 'validity_expired' | 'keep_alive_missed' } | null {
  const keepAliveBy = keepAliveDeadline(state, profile);
  const expiresAt = state.expiresAt;
  // The later deadline binds (either one keeps the line alive); a tie is the validity's.
  if (expiresAt !== null && (keepAliveBy === null || expiresAt.getTime() >= keepAliveBy.getTime())) {
    return { at: expiresAt, reason: 'validity_expired' };
  }
  return keepAliveBy === null ? null : { at: keepAliveBy, reason: 'keep_alive_missed' };
}

/** The phases after a lapse at `lapsedAt`, zero-length ones left out. */
function lapsedPhases(lapsedAt: Date, profile: LifecycleProfile): Array<{ status: LapsedStatus; from: Date }> {
  const graceEndsAt = addDays(lapsedAt, profile.graceDays);
  const phases: Array<{ status: LapsedStatus; from: Date }> = [];
  if (profile.graceDays > 0) phases.push({ status: 'grace', from: lapsedAt });
  if (profile.suspendDays > 0) phases.push({ status: 'suspended', from: graceEndsAt });
  phases.push({ status: 'recycled', from: addDays(graceEndsAt, profile.suspendDays) });
  return phases;
}

function phaseAt(lapsedAt: Date, profile: LifecycleProfile, at: Date): LapsedStatus {
  let status: LapsedStatus | null = null;
  for (const phase of lapsedPhases(lapsedAt, profile)) {
    if (status === null || phase.from.getTime() <= at.getTime()) status = phase.status;
  }
  invariant(status !== null, 'a lapse always has a recycling phase');
  return status;
}

/** Emits every time-driven transition due at or before `at`. */
function runClock(state: Working, profile: LifecycleProfile, at: Date, out: LifecycleTransition[]): Working {
  if (state.operatorSuspended) {
    // The status stays pinned to suspended; only note when the line lapsed, for resume.
    if (state.lapsedAt !== null || state.lastRechargeAt === null) return state;
    const lapse = lapseFromDates(state, profile);
    return lapse !== null && lapse.at.getTime() <= at.getTime() ? { ...state, lapsedAt: lapse.at } : state;
  }
  let next = state;
  let lapseReason: TransitionReason | null = null;
  if (next.status === 'active') {
    const lapse = lapseFromDates(next, profile);
    if (lapse === null || lapse.at.getTime() > at.getTime()) return next;
    next = { ...next, lapsedAt: lapse.at };
    lapseReason = lapse.reason;
  } else if (next.status !== 'grace' && next.status !== 'suspended') {
    return next;
  }
  const lapsedAt = next.lapsedAt;
  invariant(lapsedAt !== null, `a ${next.status} line has a lapse instant`);
  for (const phase of lapsedPhases(lapsedAt, profile)) {
    if (PATH_RANK[phase.status] <= PATH_RANK[next.status]) continue;
    if (phase.from.getTime() > at.getTime()) break;
    const reason = lapseReason ?? LEAVING_REASON[next.status];
    invariant(reason !== undefined, `no reason to leave ${next.status}`);
    out.push({ from: next.status, to: phase.status, at: phase.from, reason });
    next = { ...next, status: phase.status };
    lapseReason = null;
  }
  return next;
}

function applyEvent(state: Working, profile: LifecycleProfile, event: LifecycleEvent, out: LifecycleTransition[]): Working {
  if (isTerminalStatus(state.status)) return state;
  if (state.status === 'inventory' && event.type !== 'bound' && event.type !== 'operator_terminate') return state;
  const at = notBeforePhaseStart(state, profile, event.at);
  const move = (next: Working, to: LineStatus, reason: TransitionReason): Working => {
    if (next.status !== to) out.push({ from: next.status, to, at, reason });
    return { ...next, status: to };
  };
  switch (event.type) {
    case 'bound':
      return state.status === 'inventory' ? move(state, 'bound', 'bound') : state;
    case 'recharged':
      return applyRecharge(state, profile, event, at, move);
    case 'activity':
      return { ...state, lastActivityAt: latest(event.at, state.lastActivityAt) };
    case 'operator_suspend':
      return state.operatorSuspended ? state : move({ ...state, operatorSuspended: true }, 'suspended', 'operator_suspend');
    case 'operator_resume':
      return state.operatorSuspended ? move({ ...state, operatorSuspended: false }, statusOnResume(state, profile, at), 'operator_resume') : state;
    case 'operator_terminate':
      return move(state, 'terminated', 'operator_terminate');
  }
}

function applyRecharge(
  state: Working,
  profile: LifecycleProfile,
  event: Extract<LifecycleEvent, { type: 'recharged' }>,
  at: Date,
  move: (next: Working, to: LineStatus, reason: TransitionReason) => Working,
): Working {
  const newExpiresAt = event.newExpiresAt ?? null;
  invariant(newExpiresAt === null || (isValidDate(newExpiresAt) && newExpiresAt.getTime() > event.at.getTime()),
    'a recharge grants validity ending after the recharge');
  const recharged: Working = {
    ...state,
    lastRechargeAt: latest(event.at, state.lastRechargeAt),
    expiresAt: newExpiresAt ?? state.expiresAt,
  };
  // A lapsed line comes back only if the recharge leaves it a deadline still ahead; a lapsed line
  // under operator suspension gets its dates revived the same way, its status on resume.
  const revivable = state.lapsedAt !== null && phaseAt(state.lapsedAt, profile, at) !== 'recycled';
  const lapse = lapseFromDates({ ...recharged, lapsedAt: null }, profile);
  const alive = lapse === null || lapse.at.getTime() > at.getTime();
  const revived: Working = revivable && alive ? { ...recharged, lapsedAt: null } : recharged;
  if (state.operatorSuspended) return revived;
  if (state.status === 'bound') return move(revived, 'active', 'recharged');
  if ((state.status === 'grace' || state.status === 'suspended') && revived.lapsedAt === null) {
    return move(revived, 'active', 'recharged');
  }
  return revived;
}

function statusOnResume(state: Working, profile: LifecycleProfile, at: Date): LineStatus {
  if (state.lastRechargeAt === null) return 'bound';
  return state.lapsedAt === null ? 'active' : phaseAt(state.lapsedAt, profile, at);
}

/** A late event cannot be stamped before the phase the line is already in began. */
function notBeforePhaseStart(state: Working, profile: LifecycleProfile, at: Date): Date {
  if (state.operatorSuspended || state.lapsedAt === null) return at;
  let start: Date | null = null;
  if (state.status === 'grace') start = state.lapsedAt;
  if (state.status === 'suspended') start = addDays(state.lapsedAt, profile.graceDays);
  return start !== null && start.getTime() > at.getTime() ? start : at;
}

function latest(a: Date, b: Date | null): Date {
  return b !== null && b.getTime() > a.getTime() ? b : a;
}

function isValidDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

function assertProfile(profile: LifecycleProfile): void {
  const { graceDays, suspendDays, keepAlive } = profile;
  invariant(Number.isInteger(graceDays) && graceDays >= 0, 'graceDays must be a non-negative integer');
  invariant(Number.isInteger(suspendDays) && suspendDays >= 0, 'suspendDays must be a non-negative integer');
  invariant(Number.isInteger(keepAlive.everyDays) && keepAlive.everyDays >= 1, 'keepAlive.everyDays must be a positive integer');
}

function assertState(state: LineLifecycleState): void {
  for (const date of [state.expiresAt, state.lastRechargeAt, state.lastActivityAt, state.lapsedAt]) {
    invariant(date === null || isValidDate(date), 'line state holds an invalid date');
  }
  const { status, operatorSuspended, lapsedAt } = state;
  invariant(!operatorSuspended || status === 'suspended' || status === 'terminated',
    `an operator-suspended line cannot be ${status}`);
  if (status === 'inventory' || status === 'bound') {
    invariant(state.lastRechargeAt === null && state.expiresAt === null && lapsedAt === null,
      `a ${status} line was never recharged and has no validity`);
  }
  if (status === 'active') invariant(state.lastRechargeAt !== null && lapsedAt === null, 'an active line was recharged and has not lapsed');
  if (status === 'grace' || (status === 'suspended' && !operatorSuspended)) {
    invariant(lapsedAt !== null, `a ${status} line has a lapse instant`);
  }
}
