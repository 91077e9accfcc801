// The deadline calendar's rules (API.md GET /calendar): every upcoming instant at which a line loses
// something unless its subscriber acts, and what kind of act keeps the number. Pure: the calendar
// module attaches the line's identity and the price of the cheapest such act from the catalog.
//
// Deadlines come from the lifecycle (lifecycle.ts), advanced to `now` first:
// - expiry: the plan's validity ends (expiresAt), while the line is active;
// - keepalive: the keep-alive window closes, listed only where it binds — i.e. it ends after the
//   paid validity (L = max(expiresAt, keepAliveBy)); a window inside the validity loses nothing;
// - renewal: auto-renew charges renewDaysBefore days before the expiry;
// - suspension: grace ends (L + graceDays), for carriers that suspend at all (suspendDays > 0);
// - recycling: the number is lost (L + graceDays + suspendDays).
import { addDays, advanceLifecycle, type LifecycleProfile, type LineLifecycleState } from './lifecycle.ts';

export const CALENDAR_KINDS = ['expiry', 'keepalive', 'renewal', 'suspension', 'recycling'] as const;
export type CalendarKind = (typeof CALENDAR_KINDS)[number];

/**
 * What the subscriber does to keep the number, as a stable word the portal translates: buy a base
 * plan, recharge (a top-up counts), use the line (a call, an SMS, data), nothing — auto-renew is
 * scheduled — or ask support (an operator suspended the line).
 */
export const CALENDAR_ACTIONS = ['renew', 'recharge', 'use_line', 'auto_renew_scheduled', 'contact_support'] as const;
export type CalendarAction = (typeof CALENDAR_ACTIONS)[number];

/** What keeps the number at a deadline, before the catalog prices it. */
export type KeepingNeed = 'plan' | 'recharge' | 'activity' | 'auto_renew' | 'support';

export interface Deadline {
  readonly kind: CalendarKind;
  readonly at: Date;
  readonly need: KeepingNeed;
}

export interface DeadlineInput {
  readonly state: LineLifecycleState;
  readonly profile: LifecycleProfile;
  readonly now: Date;
  /** Deadlines after this instant are left out. */
  readonly until: Date;
  readonly autoRenew: { readonly enabled: boolean; readonly renewDaysBefore: number };
}

const KIND_ORDER: Readonly<Record<CalendarKind, number>> = { renewal: 0, keepalive: 1, expiry: 2, suspension: 3, recycling: 4 };

/** The line's deadlines in (now, until], soonest first (same instant: in lifecycle order). */
export function lineDeadlines(input: DeadlineInput): Deadline[] {
  const { state, deadlines } = advanceLifecycle(input.state, input.profile, [], input.now);
  if (state.status !== 'active' && state.status !== 'grace' && state.status !== 'suspended') return [];
  const revive: KeepingNeed = state.operatorSuspended ? 'support' : 'recharge';
  const out: Deadline[] = [];
  if (state.status === 'active') out.push(...activeDeadlines(state, deadlines.keepAliveBy, input));
  if (state.status !== 'suspended' && input.profile.suspendDays > 0 && deadlines.graceEndsAt !== null) {
    out.push({ kind: 'suspension', at: deadlines.graceEndsAt, need: revive });
  }
  if (deadlines.recycleAt !== null) out.push({ kind: 'recycling', at: deadlines.recycleAt, need: revive });
  return out
    .filter((d) => d.at.getTime() > input.now.getTime() && d.at.getTime() <= input.until.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime() || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}

function activeDeadlines(state: LineLifecycleState, keepAliveBy: Date | null, input: DeadlineInput): Deadline[] {
  const out: Deadline[] = [];
  const expiresAt = state.expiresAt;
  if (expiresAt !== null && expiresAt.getTime() > input.now.getTime()) {
    const renewing = input.autoRenew.enabled;
    out.push({ kind: 'expiry', at: expiresAt, need: renewing ? 'auto_renew' : 'plan' });
    // A charge whose instant has passed is the sweep's within seconds: only later ones are listed.
    if (renewing) out.push({ kind: 'renewal', at: addDays(expiresAt, -input.autoRenew.renewDaysBefore), need: 'auto_renew' });
  }
  if (keepAliveBy !== null && (expiresAt === null || keepAliveBy.getTime() > expiresAt.getTime())) {
    out.push({ kind: 'keepalive', at: keepAliveBy, need: input.profile.keepAlive.rule === 'activity' ? 'activity' : 'recharge' });
  }
  return out;
}
