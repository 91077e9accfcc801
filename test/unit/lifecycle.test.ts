import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addDays,
  advanceLifecycle,
  deadlinesFor,
  initialLineState,
  keepAliveAdvice,
  type LifecycleEvent,
  type LifecycleProfile,
  type LifecycleTransition,
  type LineLifecycleState,
} from '../../src/domain/lifecycle.ts';
import { paygRatesFor, validateCarrierProfile, type CarrierProfile } from '../../src/domain/carrier-profile.ts';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const day = (n: number): Date => addDays(T0, n);

const RATES = { dataPerMbMinor: 10, voicePerMinuteMinor: 10, smsPerMessageMinor: 5 };
/** US PayGo-like: 30-day cycle, suspended when unpaid, number deleted 30 days later. */
const US_PAYGO: CarrierProfile = {
  code: 'us-paygo', name: 'US PayGo', currency: 'USD', validityDays: 30, graceDays: 0, suspendDays: 30,
  keepAlive: { rule: 'recharge', everyDays: 30 }, topupGrantsValidity: true, paygRates: { default: RATES },
};
/** UK-like: no line validity; recycled after 180 days without chargeable activity. */
const UK_PAYG: CarrierProfile = {
  code: 'uk-payg', name: 'UK PAYG', currency: 'GBP', validityDays: 30, graceDays: 0, suspendDays: 0,
  keepAlive: { rule: 'activity', everyDays: 180 }, topupGrantsValidity: false,
  paygRates: { default: RATES, eu: { dataPerMbMinor: 0, voicePerMinuteMinor: 0, smsPerMessageMinor: 0 } },
};
/** A travel eSIM with a grace period: its 30-day recharge window ends with a 30-day plan's validity. */
const WITH_GRACE: LifecycleProfile = { graceDays: 7, suspendDays: 30, keepAlive: { rule: 'recharge', everyDays: 30 } };

const bound = (at: Date): LifecycleEvent => ({ type: 'bound', at });
const recharged = (at: Date, newExpiresAt?: Date): LifecycleEvent =>
  newExpiresAt === undefined ? { type: 'recharged', at } : { type: 'recharged', at, newExpiresAt };
const activity = (at: Date): LifecycleEvent => ({ type: 'activity', at });

function run(events: LifecycleEvent[], now: Date, profile: LifecycleProfile, state = initialLineState()) {
  return advanceLifecycle(state, profile, events, now);
}

function summary(transitions: LifecycleTransition[]): string[] {
  return transitions.map((t) => `${t.from}→${t.to}@${(t.at.getTime() - T0.getTime()) / 86_400_000}:${t.reason}`);
}

/** A US line bound and recharged (30-day plan) at day 0, advanced to `now`. */
const usLineAt = (now: Date) => run([bound(day(0)), recharged(day(0), day(30))], now, US_PAYGO);

describe('line lifecycle: US PayGo-like carrier', () => {
  it('suspends at day 30 when unpaid and recycles at day 60', () => {
    const { state, transitions } = usLineAt(day(100));
    expect(summary(transitions)).toEqual([
      'inventory→bound@0:bound',
      'bound→active@0:recharged',
      'active→suspended@30:validity_expired',
      'suspended→recycled@60:suspension_ended',
    ]);
    expect(state.status).toBe('recycled');
    expect(state.lapsedAt).toEqual(day(30));
  });

  it('says the number is safe until day 60 and to recharge by day 30', () => {
    const { state, deadlines } = usLineAt(day(10));
    expect(deadlines).toEqual({ keepAliveBy: day(30), lapsesAt: day(30), graceEndsAt: day(30), recycleAt: day(60) });
    expect(keepAliveAdvice(state, US_PAYGO, day(10))).toEqual({ safeUntil: day(60), actionBy: day(30), action: 'recharge' });
  });

  it('is active until the instant it lapses', () => {
    expect(usLineAt(new Date(day(30).getTime() - 1)).state.status).toBe('active');
    expect(usLineAt(day(30)).state.status).toBe('suspended');
    expect(usLineAt(new Date(day(60).getTime() - 1)).state.status).toBe('suspended');
    expect(usLineAt(day(60)).state.status).toBe('recycled');
  });

  it('stays active while recharged every cycle', () => {
    const events = [bound(day(0)), recharged(day(0), day(30)), recharged(day(29), day(59)), recharged(day(58), day(88))];
    const { state, transitions, deadlines } = run(events, day(80), US_PAYGO);
    expect(state.status).toBe('active');
    expect(summary(transitions)).toEqual(['inventory→bound@0:bound', 'bound→active@0:recharged']);
    expect(deadlines.lapsesAt).toEqual(day(88));
  });

  it('reactivates a suspended line on a recharge before recycling', () => {
    const { state, transitions } = run([bound(day(0)), recharged(day(0), day(30)), recharged(day(45), day(75))], day(70), US_PAYGO);
    expect(state).toMatchObject({ status: 'active', lapsedAt: null, expiresAt: day(75) });
    expect(summary(transitions).slice(2)).toEqual(['active→suspended@30:validity_expired', 'suspended→active@45:recharged']);
  });

  it('revives at the lapse instant when the recharge lands exactly on it', () => {
    const { state, transitions } = run([bound(day(0)), recharged(day(0), day(30)), recharged(day(30), day(60))], day(31), US_PAYGO);
    expect(state.status).toBe('active');
    expect(summary(transitions).slice(2)).toEqual(['active→suspended@30:validity_expired', 'suspended→active@30:recharged']);
  });

  it('revives a suspended line on a top-up without validity: the recharge opens a new keep-alive window', () => {
    const { state, transitions, deadlines } = run([bound(day(0)), recharged(day(0), day(30)), recharged(day(45))], day(70), US_PAYGO);
    expect(state).toMatchObject({ status: 'active', lapsedAt: null, expiresAt: day(30), lastRechargeAt: day(45) });
    expect(summary(transitions).slice(2)).toEqual(['active→suspended@30:validity_expired', 'suspended→active@45:recharged']);
    expect(deadlines).toMatchObject({ keepAliveBy: day(75), lapsesAt: day(75), recycleAt: day(105) });
  });

  it('keeps the line alive to the end of a top-up’s keep-alive window after the plan ran out (top-up at day 20 → lapse at day 50)', () => {
    const profile: LifecycleProfile = { graceDays: 0, suspendDays: 30, keepAlive: { rule: 'recharge', everyDays: 30 } };
    const events = [bound(day(0)), recharged(day(0), day(30)), recharged(day(20))];
    const atDay40 = run(events, day(40), profile);
    expect(atDay40.state).toMatchObject({ status: 'active', expiresAt: day(30) });
    expect(atDay40.deadlines).toEqual({ keepAliveBy: day(50), lapsesAt: day(50), graceEndsAt: day(50), recycleAt: day(80) });
    expect(keepAliveAdvice(atDay40.state, profile, day(40))).toEqual({ safeUntil: day(80), actionBy: day(50), action: 'recharge' });
    expect(summary(run(events, day(100), profile).transitions).slice(2)).toEqual([
      'active→suspended@50:keep_alive_missed',
      'suspended→recycled@80:suspension_ended',
    ]);
  });

  it('honours paid validity beyond the 30-day cycle: a 30-day plan with 7 bonus days suspends at day 37, recycles at day 67', () => {
    const { transitions } = run([bound(day(0)), recharged(day(0), day(37))], day(200), US_PAYGO);
    expect(summary(transitions).slice(2)).toEqual(['active→suspended@37:validity_expired', 'suspended→recycled@67:suspension_ended']);
    const atDay31 = run([bound(day(0)), recharged(day(0), day(37))], day(31), US_PAYGO);
    expect(atDay31.state.status).toBe('active');
    expect(atDay31.deadlines).toMatchObject({ keepAliveBy: day(30), lapsesAt: day(37), recycleAt: day(67) });
    expect(keepAliveAdvice(atDay31.state, US_PAYGO, day(31))).toEqual({ safeUntil: day(67), actionBy: day(37), action: 'recharge' });
  });

  it('lapses two stacked 30-day purchases (expiry day 60) at day 60, not after the first cycle', () => {
    const events = [bound(day(0)), recharged(day(0), day(30)), recharged(day(1), day(60))];
    expect(run(events, day(31), US_PAYGO).state.status).toBe('active');
    expect(run(events, day(59), US_PAYGO).state.status).toBe('active');
    expect(summary(run(events, day(200), US_PAYGO).transitions).slice(2)).toEqual([
      'active→suspended@60:validity_expired',
      'suspended→recycled@90:suspension_ended',
    ]);
  });
});

describe('line lifecycle: UK-like carrier (activity every 180 days)', () => {
  it('is recycled 180 days after the last chargeable activity', () => {
    const { state, transitions } = run([bound(day(0)), recharged(day(0)), activity(day(100))], day(400), UK_PAYG);
    expect(summary(transitions)).toEqual([
      'inventory→bound@0:bound',
      'bound→active@0:recharged',
      'active→recycled@280:keep_alive_missed',
    ]);
    expect(state.status).toBe('recycled');
  });

  it('tells the subscriber to use the line before the deadline', () => {
    const { state } = run([bound(day(0)), recharged(day(0)), activity(day(100))], day(150), UK_PAYG);
    expect(keepAliveAdvice(state, UK_PAYG, day(150))).toEqual({ safeUntil: day(280), actionBy: day(280), action: 'use_the_line' });
  });

  it('counts a purchase as chargeable activity', () => {
    const { state, deadlines } = run([bound(day(0)), recharged(day(0)), activity(day(10)), recharged(day(50))], day(60), UK_PAYG);
    expect(state.status).toBe('active');
    expect(deadlines.keepAliveBy).toEqual(day(230));
  });

  it('keeps the number after a 30-day plan runs out: active at day 31, recycled at day 180 without activity', () => {
    // A purchase is a recharge and chargeable activity at once (creditPlan sends both).
    const events = [bound(day(0)), recharged(day(0), day(30)), activity(day(0))];
    const atDay31 = run(events, day(31), UK_PAYG);
    expect(atDay31.state).toMatchObject({ status: 'active', expiresAt: day(30) });
    expect(atDay31.deadlines).toEqual({ keepAliveBy: day(180), lapsesAt: day(180), graceEndsAt: day(180), recycleAt: day(180) });
    expect(keepAliveAdvice(atDay31.state, UK_PAYG, day(31))).toEqual({ safeUntil: day(180), actionBy: day(180), action: 'use_the_line' });
    expect(run(events, new Date(day(180).getTime() - 1), UK_PAYG).state.status).toBe('active');
    expect(summary(run(events, day(400), UK_PAYG).transitions).slice(2)).toEqual(['active→recycled@180:keep_alive_missed']);
  });

  it('keeps a line with a 30-day plan and activity at day 100 alive to day 280', () => {
    const events = [bound(day(0)), recharged(day(0), day(30)), activity(day(0)), activity(day(100))];
    expect(run(events, new Date(day(280).getTime() - 1), UK_PAYG).state.status).toBe('active');
    expect(summary(run(events, day(400), UK_PAYG).transitions).slice(2)).toEqual(['active→recycled@280:keep_alive_missed']);
  });

  it('advises a recharge when paid validity outlasts the activity window', () => {
    const events = [bound(day(0)), recharged(day(0), day(365)), activity(day(0))];
    const { state, deadlines } = run(events, day(200), UK_PAYG);
    expect(state.status).toBe('active');
    expect(deadlines).toMatchObject({ keepAliveBy: day(180), lapsesAt: day(365) });
    expect(keepAliveAdvice(state, UK_PAYG, day(200))).toEqual({ safeUntil: day(365), actionBy: day(365), action: 'recharge' });
    expect(summary(run(events, day(400), UK_PAYG).transitions).slice(2)).toEqual(['active→recycled@365:validity_expired']);
  });

  it('keeps a line used every 170 days alive for years', () => {
    const events = [bound(day(0)), recharged(day(0))];
    for (let d = 170; d < 2000; d += 170) events.push(activity(day(d)));
    const { state, transitions } = run(events, day(2000), UK_PAYG);
    expect(state.status).toBe('active');
    expect(transitions).toHaveLength(2);
  });
});

describe('line lifecycle: grace period', () => {
  const lapsedLine = (now: Date, extra: LifecycleEvent[] = []) =>
    run([bound(day(0)), recharged(day(0), day(30)), ...extra], now, WITH_GRACE);

  it('goes active → grace → suspended → recycled at the exact due times', () => {
    expect(summary(lapsedLine(day(1000)).transitions).slice(2)).toEqual([
      'active→grace@30:validity_expired',
      'grace→suspended@37:grace_ended',
      'suspended→recycled@67:suspension_ended',
    ]);
  });

  it('publishes grace and recycling deadlines', () => {
    expect(lapsedLine(day(5)).deadlines).toEqual({ keepAliveBy: day(30), lapsesAt: day(30), graceEndsAt: day(37), recycleAt: day(67) });
  });

  it('advises a recharge before recycling while in grace', () => {
    const { state } = lapsedLine(day(33));
    expect(state.status).toBe('grace');
    expect(keepAliveAdvice(state, WITH_GRACE, day(33))).toEqual({ safeUntil: day(67), actionBy: day(67), action: 'recharge' });
  });

  it('revives on a recharge in grace', () => {
    const { state, transitions } = lapsedLine(day(40), [recharged(day(33), day(63))]);
    expect(state.status).toBe('active');
    expect(summary(transitions).slice(2)).toEqual(['active→grace@30:validity_expired', 'grace→active@33:recharged']);
  });

  it('does not revive on chargeable activity, and activity does not move a lapsed line’s deadlines', () => {
    const { state, deadlines } = lapsedLine(day(40), [activity(day(33))]);
    expect(state.status).toBe('suspended');
    expect(state.lastActivityAt).toEqual(day(33));
    expect(deadlines.recycleAt).toEqual(day(67));
  });
});

describe('line lifecycle: operator actions', () => {
  const activeLine = run([bound(day(0)), recharged(day(0), day(30))], day(1), US_PAYGO).state;

  it('suspends regardless of dates and resumes to active before the deadline', () => {
    const { state, transitions } = advanceLifecycle(activeLine, US_PAYGO,
      [{ type: 'operator_suspend', at: day(5) }, { type: 'operator_resume', at: day(10) }], day(12));
    expect(state).toMatchObject({ status: 'active', operatorSuspended: false });
    expect(summary(transitions)).toEqual(['active→suspended@5:operator_suspend', 'suspended→active@10:operator_resume']);
  });

  it('emits nothing time-driven while operator-suspended', () => {
    const { state, transitions } = advanceLifecycle(activeLine, US_PAYGO, [{ type: 'operator_suspend', at: day(5) }], day(500));
    expect(state).toMatchObject({ status: 'suspended', operatorSuspended: true, lapsedAt: day(30) });
    expect(summary(transitions)).toEqual(['active→suspended@5:operator_suspend']);
    expect(keepAliveAdvice(state, US_PAYGO, day(500))).toEqual({ safeUntil: day(60), actionBy: null, action: null });
  });

  it('recomputes the status from the dates on resume', () => {
    const suspendAt = { type: 'operator_suspend', at: day(5) } as const;
    const resumeAt = (at: Date) => advanceLifecycle(activeLine, US_PAYGO, [suspendAt, { type: 'operator_resume', at }], at);
    expect(resumeAt(day(40)).state.status).toBe('suspended');
    expect(resumeAt(day(40)).state.operatorSuspended).toBe(false);
    expect(resumeAt(day(40)).transitions).toHaveLength(1); // suspended stays suspended: no transition
    expect(summary(resumeAt(day(70)).transitions)).toEqual(['active→suspended@5:operator_suspend', 'suspended→recycled@70:operator_resume']);
    const graceLine = run([bound(day(0)), recharged(day(0), day(30))], day(1), WITH_GRACE).state;
    const resumed = advanceLifecycle(graceLine, WITH_GRACE, [{ type: 'operator_suspend', at: day(5) }, { type: 'operator_resume', at: day(33) }], day(33));
    expect(resumed.state.status).toBe('grace');
    // Later time-driven transitions continue from the resume.
    expect(summary(advanceLifecycle(resumed.state, WITH_GRACE, [], day(100)).transitions)).toEqual([
      'grace→suspended@37:grace_ended',
      'suspended→recycled@67:suspension_ended',
    ]);
  });

  it('lets a recharge during an operator suspension count once resumed', () => {
    const events: LifecycleEvent[] = [{ type: 'operator_suspend', at: day(5) }, recharged(day(45), day(75)), { type: 'operator_resume', at: day(50) }];
    const { state, transitions } = advanceLifecycle(activeLine, US_PAYGO, events, day(50));
    expect(state).toMatchObject({ status: 'active', lapsedAt: null, expiresAt: day(75) });
    expect(summary(transitions)).toEqual(['active→suspended@5:operator_suspend', 'suspended→active@50:operator_resume']);
  });

  it('does not let a recharge after the would-be recycling save the number', () => {
    const events: LifecycleEvent[] = [{ type: 'operator_suspend', at: day(5) }, recharged(day(65), day(95)), { type: 'operator_resume', at: day(70) }];
    expect(advanceLifecycle(activeLine, US_PAYGO, events, day(70)).state.status).toBe('recycled');
  });

  it('terminates from any live status', () => {
    const { state, transitions, deadlines } = advanceLifecycle(activeLine, US_PAYGO, [{ type: 'operator_terminate', at: day(3) }], day(3));
    expect(state.status).toBe('terminated');
    expect(summary(transitions)).toEqual(['active→terminated@3:operator_terminate']);
    expect(deadlines).toEqual({ keepAliveBy: null, lapsesAt: null, graceEndsAt: null, recycleAt: null });
  });

  it('resumes a never-recharged line to bound', () => {
    const boundLine = run([bound(day(0))], day(0), US_PAYGO).state;
    const { state } = advanceLifecycle(boundLine, US_PAYGO, [{ type: 'operator_suspend', at: day(1) }, { type: 'operator_resume', at: day(200) }], day(200));
    expect(state.status).toBe('bound');
  });
});

describe('line lifecycle: before activation', () => {
  it('ignores payments and usage on unsold inventory', () => {
    const { state, transitions } = run([recharged(day(1), day(31)), activity(day(2)), { type: 'operator_suspend', at: day(3) }], day(5), US_PAYGO);
    expect(state).toEqual(initialLineState());
    expect(transitions).toEqual([]);
  });

  it('binds once and activates on the first recharge', () => {
    const { state, transitions } = run([bound(day(0)), bound(day(1)), recharged(day(2), day(32))], day(3), US_PAYGO);
    expect(state.status).toBe('active');
    expect(summary(transitions)).toEqual(['inventory→bound@0:bound', 'bound→active@2:recharged']);
  });

  it('has no deadlines and advises a first recharge while bound', () => {
    const { state, deadlines } = run([bound(day(0))], day(400), US_PAYGO);
    expect(state.status).toBe('bound');
    expect(deadlines).toEqual({ keepAliveBy: null, lapsesAt: null, graceEndsAt: null, recycleAt: null });
    expect(keepAliveAdvice(state, US_PAYGO, day(400))).toEqual({ safeUntil: null, actionBy: null, action: 'recharge' });
    expect(deadlinesFor(initialLineState(), US_PAYGO).recycleAt).toBeNull();
  });
});

describe('line lifecycle: guards', () => {
  it('rejects events after now', () => {
    expect(() => run([bound(day(2))], day(1), US_PAYGO)).toThrow(/after now/);
  });

  it('rejects a recharge whose validity ends before it', () => {
    expect(() => run([bound(day(0)), recharged(day(5), day(5))], day(6), US_PAYGO)).toThrow(/validity/);
  });

  it('rejects inconsistent states and profiles', () => {
    const badActive: LineLifecycleState = { ...initialLineState(), status: 'active' };
    expect(() => advanceLifecycle(badActive, US_PAYGO, [], day(1))).toThrow();
    const badGrace: LineLifecycleState = { ...initialLineState(), status: 'grace', lastRechargeAt: day(0) };
    expect(() => advanceLifecycle(badGrace, US_PAYGO, [], day(1))).toThrow();
    expect(() => run([], day(1), { ...US_PAYGO, graceDays: -1 })).toThrow();
    expect(() => run([], day(1), { ...US_PAYGO, keepAlive: { rule: 'recharge', everyDays: 0 } })).toThrow();
    expect(() => run([], new Date(Number.NaN), US_PAYGO)).toThrow();
  });
});

describe('carrier profile', () => {
  it('accepts the example carriers', () => {
    expect(validateCarrierProfile(US_PAYGO)).toEqual({ ok: true, value: US_PAYGO });
    expect(validateCarrierProfile(UK_PAYG).ok).toBe(true);
  });

  it('reports every problem at once', () => {
    const bad: CarrierProfile = {
      ...US_PAYGO, code: 'US PayGo', currency: 'XXX', validityDays: 0, graceDays: 1.5, suspendDays: -1,
      keepAlive: { rule: 'recharge', everyDays: 0 }, paygRates: { eu: { ...RATES, smsPerMessageMinor: -1 } },
    };
    const result = validateCarrierProfile(bad);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('invalid_carrier_profile');
    for (const field of ['code', 'currency', 'validityDays', 'graceDays', 'suspendDays', 'keepAlive.everyDays', 'default zone', 'paygRates.eu.smsPerMessageMinor']) {
      expect(result.message).toContain(field);
    }
  });

  it('rejects absurd periods and a missing rate', () => {
    expect(validateCarrierProfile({ ...US_PAYGO, suspendDays: 10_000 }).ok).toBe(false);
    const missingSms = { default: { dataPerMbMinor: 1, voicePerMinuteMinor: 1 } } as unknown as CarrierProfile['paygRates'];
    expect(validateCarrierProfile({ ...US_PAYGO, paygRates: missingSms }).ok).toBe(false);
  });

  it('falls back to the default zone', () => {
    expect(paygRatesFor(UK_PAYG, 'eu').dataPerMbMinor).toBe(0);
    expect(paygRatesFor(UK_PAYG, 'us')).toEqual(RATES);
    expect(paygRatesFor(UK_PAYG, 'constructor')).toEqual(RATES);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: catch-up equals stepping, idempotence, terminal states absorb, ordered timelines.

const HORIZON_DAYS = 730;
const EVENT_WINDOW_MS = 400 * 86_400_000;

const profileArb: fc.Arbitrary<LifecycleProfile> = fc.record({
  graceDays: fc.integer({ min: 0, max: 10 }),
  suspendDays: fc.integer({ min: 0, max: 40 }),
  keepAlive: fc.record({ rule: fc.constantFrom('recharge' as const, 'activity' as const), everyDays: fc.integer({ min: 1, max: 60 }) }),
});

const eventArb: fc.Arbitrary<LifecycleEvent> = fc
  .tuple(
    fc.constantFrom('bound', 'recharged', 'recharged', 'recharged', 'activity', 'activity', 'operator_suspend', 'operator_resume', 'operator_terminate'),
    // Whole days hit boundaries exactly; random milliseconds land anywhere.
    fc.oneof(fc.integer({ min: 0, max: 400 }).map((d) => d * 86_400_000), fc.integer({ min: 0, max: EVENT_WINDOW_MS })),
    fc.option(fc.oneof(fc.integer({ min: 1, max: 60 }).map((d) => d * 86_400_000), fc.integer({ min: 1, max: 60 * 86_400_000 })), { nil: undefined }),
    fc.nat({ max: 99 }),
  )
  .map(([type, offsetMs, validityMs, terminateRoll]): LifecycleEvent => {
    const at = new Date(T0.getTime() + offsetMs);
    if (type === 'recharged') return validityMs === undefined ? { type, at } : { type, at, newExpiresAt: new Date(at.getTime() + validityMs) };
    // Terminations are rare, or they would end most generated timelines early.
    if (type === 'operator_terminate' && terminateRoll > 5) return { type: 'activity', at };
    return { type, at } as LifecycleEvent;
  });

const startArb = fc.constantFrom<'inventory' | 'bound'>('inventory', 'bound');
const startState = (start: 'inventory' | 'bound'): LineLifecycleState => ({ ...initialLineState(), status: start });

function stepThrough(state: LineLifecycleState, profile: LifecycleProfile, events: LifecycleEvent[], nows: Date[]) {
  let current = state;
  const transitions: LifecycleTransition[] = [];
  let previousMs = Number.NEGATIVE_INFINITY;
  for (const now of nows) {
    const batch = events.filter((e) => e.at.getTime() > previousMs && e.at.getTime() <= now.getTime());
    const outcome = advanceLifecycle(current, profile, batch, now);
    current = outcome.state;
    transitions.push(...outcome.transitions);
    previousMs = now.getTime();
  }
  return { state: current, transitions };
}

describe('line lifecycle: properties', () => {
  it('lives exactly to the later of its paid validity and its keep-alive window', () => {
    fc.assert(
      fc.property(profileArb, fc.integer({ min: 1, max: 120 * 86_400_000 }), (profile, validityMs) => {
        const expiresAt = new Date(T0.getTime() + validityMs);
        const events = [bound(T0), recharged(T0, expiresAt), activity(T0)];
        const keepAliveBy = day(profile.keepAlive.everyDays);
        const lapseMs = Math.max(expiresAt.getTime(), keepAliveBy.getTime());
        const before = advanceLifecycle(initialLineState(), profile, events, new Date(lapseMs - 1));
        expect(before.state.status).toBe('active');
        expect(before.deadlines.lapsesAt?.getTime()).toBe(lapseMs);
        expect(keepAliveAdvice(before.state, profile, new Date(lapseMs - 1)).actionBy?.getTime()).toBe(lapseMs);
        const at = advanceLifecycle(initialLineState(), profile, events, new Date(lapseMs));
        expect(at.state.status).not.toBe('active');
        const lapse = at.transitions.find((t) => t.from === 'active');
        expect(lapse?.at.getTime()).toBe(lapseMs);
        expect(lapse?.reason).toBe(expiresAt.getTime() >= keepAliveBy.getTime() ? 'validity_expired' : 'keep_alive_missed');
      }),
      { numRuns: 300 },
    );
  });

  it('catches up in one call exactly as stepping day by day', () => {
    fc.assert(
      fc.property(startArb, profileArb, fc.array(eventArb, { maxLength: 25 }), (start, profile, events) => {
        const nows = Array.from({ length: HORIZON_DAYS + 1 }, (_, k) => day(k));
        const once = advanceLifecycle(startState(start), profile, events, day(HORIZON_DAYS));
        const stepped = stepThrough(startState(start), profile, events, nows);
        expect(stepped.state).toEqual(once.state);
        expect(stepped.transitions).toEqual(once.transitions);
      }),
      { numRuns: 150 },
    );
  });

  it('catches up in one call exactly as calls at arbitrary instants', () => {
    fc.assert(
      fc.property(startArb, profileArb, fc.array(eventArb, { maxLength: 25 }), fc.array(fc.integer({ min: 0, max: HORIZON_DAYS * 86_400_000 }), { maxLength: 30 }),
        (start, profile, events, cutsMs) => {
          const nows = [...cutsMs.sort((a, b) => a - b).map((ms) => new Date(T0.getTime() + ms)), day(HORIZON_DAYS)];
          const once = advanceLifecycle(startState(start), profile, events, day(HORIZON_DAYS));
          const stepped = stepThrough(startState(start), profile, events, nows);
          expect(stepped.state).toEqual(once.state);
          expect(stepped.transitions).toEqual(once.transitions);
        }),
      { numRuns: 300 },
    );
  });

  it('is idempotent: a second call with the same now emits nothing and changes nothing', () => {
    fc.assert(
      fc.property(startArb, profileArb, fc.array(eventArb, { maxLength: 25 }), fc.integer({ min: 0, max: HORIZON_DAYS }), (start, profile, events, nowDay) => {
        const now = day(nowDay);
        const first = advanceLifecycle(startState(start), profile, events.filter((e) => e.at <= now), now);
        const again = advanceLifecycle(first.state, profile, [], now);
        expect(again.transitions).toEqual([]);
        expect(again.state).toEqual(first.state);
        expect(again.deadlines).toEqual(first.deadlines);
      }),
      { numRuns: 300 },
    );
  });

  it('emits a chained timeline in time order that ends in the final status', () => {
    fc.assert(
      fc.property(startArb, profileArb, fc.array(eventArb, { maxLength: 25 }), (start, profile, events) => {
        const { state, transitions } = advanceLifecycle(startState(start), profile, events, day(HORIZON_DAYS));
        let status = start as string;
        let lastMs = Number.NEGATIVE_INFINITY;
        for (const t of transitions) {
          expect(t.from).toBe(status);
          expect(t.to).not.toBe(t.from);
          expect(t.at.getTime()).toBeGreaterThanOrEqual(lastMs);
          status = t.to;
          lastMs = t.at.getTime();
        }
        expect(state.status).toBe(status);
        // Two years after the last event nothing is left alive unless a deadline still lies ahead.
        if (state.status === 'active') expect(deadlinesFor(state, profile).lapsesAt?.getTime()).toBeGreaterThan(day(HORIZON_DAYS).getTime());
      }),
      { numRuns: 300 },
    );
  });

  it('absorbs every event once recycled or terminated', () => {
    fc.assert(
      fc.property(profileArb, fc.array(eventArb, { maxLength: 25 }), fc.constantFrom('recycled' as const, 'terminated' as const), (profile, events, status) => {
        const terminal: LineLifecycleState = { ...initialLineState(), status, lastRechargeAt: day(0), lapsedAt: day(0) };
        const outcome = advanceLifecycle(terminal, profile, events, day(HORIZON_DAYS));
        expect(outcome.transitions).toEqual([]);
        expect(outcome.state).toEqual(terminal);
      }),
    );
  });
});
