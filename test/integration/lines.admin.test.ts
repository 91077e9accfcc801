import { expect, it } from 'vitest';
import { creditPlan, ensureCarrier, recordRecharge, upsertCarrier, type Carrier } from '../../src/modules/lines/service.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { advanceClockOnly, creditMonth, customerWithLine } from '../support/lines-fixtures.ts';

const MONTHLY = {
  id: 'plan_test_30d', name: { en: '30 days' }, kind: 'base' as const, validityDays: 30,
  allowances: { dataMb: 2048, voiceMin: 100, sms: 50 }, expiryPolicy: 'extend' as const,
};

async function activeLine(ctx: TestContext, validityDays = 30, carrier = 'us-paygo') {
  const owned = await customerWithLine(ctx, { carrier });
  await ctx.db.transaction((tx) =>
    creditPlan(tx, {
      lineId: owned.lineId, orderId: `ord_test_${owned.lineId}`, now: ctx.app.deps.clock.now(),
      plan: { ...MONTHLY, validityDays }, bonus: { dataMb: 0, validityDays: 0 },
    }),
  );
  return owned;
}

const RATES = { dataPerMbMinor: 10, voicePerMinuteMinor: 10, smsPerMessageMinor: 5 };
const PROFILE: Carrier = {
  code: 'test-profile', name: 'Profile Test', country: 'US', currency: 'USD', validityDays: 30, graceDays: 0, suspendDays: 30,
  keepAlive: { rule: 'recharge', everyDays: 90 }, topupGrantsValidity: false,
  paygRates: { default: RATES },
};

async function carrierRow(ctx: TestContext, code: string) {
  const r = await ctx.get('/api/v1/admin/carriers', { token: await ctx.adminToken() });
  return r.json.items.find((c: { code: string }) => c.code === code);
}

forEachDatabase('carrier profiles', (get) => {
  it('creates, then replaces a carrier profile', async () => {
    const ctx = get();
    await upsertCarrier(ctx.db, { ...PROFILE, code: 'test-replace' });
    expect(await carrierRow(ctx, 'test-replace')).toMatchObject({ graceDays: 0, keepAlive: { rule: 'recharge', everyDays: 90 } });
    const roaming = { dataPerMbMinor: 200, voicePerMinuteMinor: 100, smsPerMessageMinor: 0 };
    await upsertCarrier(ctx.db, { ...PROFILE, code: 'test-replace', name: 'Replaced', graceDays: 5, keepAlive: { rule: 'activity', everyDays: 120 },
      paygRates: { ...PROFILE.paygRates, roaming } });
    expect(await carrierRow(ctx, 'test-replace')).toMatchObject({
      name: 'Replaced', graceDays: 5, keepAlive: { rule: 'activity', everyDays: 120 }, paygRates: { roaming },
    });
    // Seeding only creates what is missing: it never reverts an operator's change.
    await ensureCarrier(ctx.db, { ...PROFILE, code: 'test-replace' });
    expect((await carrierRow(ctx, 'test-replace')).graceDays).toBe(5);
  });

  it('refuses negative or fractional PAYG rates and other bad fields on every write path, changing nothing', async () => {
    const ctx = get();
    await upsertCarrier(ctx.db, { ...PROFILE, code: 'test-refuse' });
    const bad: Array<[Partial<Carrier>, RegExp]> = [
      [{ paygRates: { default: { ...RATES, dataPerMbMinor: -1 } } }, /paygRates\.default\.dataPerMbMinor/],
      [{ paygRates: { default: { ...RATES, smsPerMessageMinor: 0.5 } } }, /paygRates\.default\.smsPerMessageMinor/],
      [{ graceDays: -3 }, /graceDays/],
      [{ country: 'usa' }, /country/],
    ];
    for (const [change, why] of bad) {
      for (const write of [upsertCarrier, ensureCarrier]) {
        await expect(write(ctx.db, { ...PROFILE, code: 'test-refuse', ...change })).rejects.toMatchObject({ code: 'invalid_carrier_profile', message: expect.stringMatching(why) });
        await expect(write(ctx.db, { ...PROFILE, code: 'test-refuse-new', ...change })).rejects.toMatchObject({ code: 'invalid_carrier_profile' });
      }
    }
    expect(await carrierRow(ctx, 'test-refuse')).toMatchObject({ graceDays: 0, country: 'US', paygRates: PROFILE.paygRates });
    expect(await carrierRow(ctx, 'test-refuse-new')).toBeUndefined();
  });

  it('applies a replaced profile to the carrier\'s lines at once: a shorter keep-alive window lapses them on time', async () => {
    const ctx = get();
    await upsertCarrier(ctx.db, { ...PROFILE, code: 'test-shorten' });
    const { lineId } = await customerWithLine(ctx, { carrier: 'test-shorten' });
    await ctx.db.transaction((tx) => creditPlan(tx, {
      lineId, orderId: `ord_shorten_${lineId}`, now: ctx.app.deps.clock.now(), plan: MONTHLY, bonus: { dataMb: 0, validityDays: 0 },
    }));
    // The 90-day window outlasts the 30-day plan; then the carrier shortens it to 30 days.
    await upsertCarrier(ctx.db, { ...PROFILE, code: 'test-shorten', keepAlive: { rule: 'recharge', everyDays: 30 } });
    await ctx.advance(31 * 86_400);
    const { rows } = await ctx.db.query<{ status: string }>('SELECT status FROM lines WHERE id = $1', [lineId]);
    expect(rows[0]?.status).toBe('suspended');
  });
});

forEachDatabase('operating lines from the console', (get) => {
  it('lists the carriers with their lifecycle rules and PAYG rates', async () => {
    const ctx = get();
    const r = await ctx.get('/api/v1/admin/carriers', { token: await ctx.adminToken() });
    expect(r.status).toBe(200);
    const us = r.json.items.find((c: { code: string }) => c.code === 'us-paygo');
    expect(us).toMatchObject({
      name: 'US PayGo', country: 'US', currency: 'USD', validityDays: 30, graceDays: 0, suspendDays: 30,
      keepAlive: { rule: 'recharge', everyDays: 30 },
    });
    expect(us.paygRates.default.dataPerMbMinor).toBeGreaterThan(0);
    // The demo stock: 20 us-paygo cards, one of them bound to the demo customer.
    expect(us.simsAvailable).toBe(19);
    expect(r.json.items.find((c: { code: string }) => c.code === 'uk-keep').keepAlive).toEqual({ rule: 'activity', everyDays: 180 });
  });

  it('filters lines by status and by expiry window, page by page', async () => {
    const ctx = get();
    const token = await ctx.adminToken();
    // A carrier whose 1-day keep-alive window never outlasts a plan: validity alone decides the lapse.
    await upsertCarrier(ctx.db, { ...PROFILE, code: 'test-validity', keepAlive: { rule: 'recharge', everyDays: 1 } });
    const soon = await activeLine(ctx, 5, 'test-validity');
    const later = await activeLine(ctx, 60, 'test-validity');
    const bound = await customerWithLine(ctx);
    const active = await ctx.get('/api/v1/admin/lines?status=active&limit=500', { token });
    const activeIds = active.json.items.map((l: { id: string }) => l.id);
    expect(activeIds).toEqual(expect.arrayContaining([soon.lineId, later.lineId]));
    expect(activeIds).not.toContain(bound.lineId);
    const expiring = await ctx.get('/api/v1/admin/lines?expiringWithinDays=7&limit=500', { token });
    const expiringIds = expiring.json.items.map((l: { id: string }) => l.id);
    expect(expiringIds).toContain(soon.lineId);
    expect(expiringIds).not.toContain(later.lineId);
    const first = await ctx.get('/api/v1/admin/lines?limit=1', { token });
    expect(first.json.items).toHaveLength(1);
    expect(first.json.nextCursor).toBe(first.json.items[0].id);
    const second = await ctx.get(`/api/v1/admin/lines?limit=1&cursor=${first.json.nextCursor}`, { token });
    expect(second.json.items[0].id < first.json.items[0].id).toBe(true);
  });

  it('finds lines about to lapse by their real lapse instant: keep-alive-only lines too, lapsed ones not', async () => {
    const ctx = get();
    const ids = async (days: number): Promise<string[]> =>
      (await ctx.get(`/api/v1/admin/lines?expiringWithinDays=${days}&limit=500`, { token: await ctx.adminToken() })).json.items.map((l: { id: string }) => l.id);
    // UK: a top-up grants no validity; the line lives 180 days on its keep-alive window alone.
    const uk = await customerWithLine(ctx, { carrier: 'uk-keep', form: 'physical' });
    await ctx.db.transaction((tx) => recordRecharge(tx, { lineId: uk.lineId, orderId: `ord_uk_${uk.lineId}`, now: ctx.app.deps.clock.now() }));
    // US: a 5-day plan, but the 30-day recharge window keeps the line alive to day 30.
    const us = await activeLine(ctx, 5);
    expect(await ids(7)).not.toContain(us.lineId);
    expect(await ids(31)).toContain(us.lineId);
    expect(await ids(179)).not.toContain(uk.lineId);
    const within = await ctx.get('/api/v1/admin/lines?expiringWithinDays=181&limit=500', { token: await ctx.adminToken() });
    const row = within.json.items.find((l: { id: string }) => l.id === uk.lineId);
    expect(row).toMatchObject({ expiresAt: null, status: 'active' });
    expect(Date.parse(row.lapsesAt) - ctx.app.deps.clock.now().getTime()).toBeGreaterThan(179 * 86_400_000);
    // 31 days on, with the sweep not yet run: the US line has lapsed (due in the past) and drops out.
    await advanceClockOnly(ctx, 31 * 86_400);
    expect(await ids(3650)).not.toContain(us.lineId);
    expect(await ids(3650)).toContain(uk.lineId);
  });

  it('refuses a second suspend with 409 line_already_suspended, auditing once', async () => {
    const ctx = get();
    const token = await ctx.adminToken();
    const { lineId } = await activeLine(ctx);
    expect((await ctx.post(`/api/v1/admin/lines/${lineId}/suspend`, undefined, { token })).status).toBe(200);
    const again = await ctx.post(`/api/v1/admin/lines/${lineId}/suspend`, { reason: 'twice' }, { token });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.json.code).toBe('line_already_suspended');
    const audit = await ctx.get(`/api/v1/admin/audit?target=${lineId}`, { token });
    expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual(['line.suspend']);
    const history = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM line_events WHERE line_id = $1 AND reason = 'operator_suspend'`, [lineId]);
    expect(history.rows[0]?.n).toBe(1);
  });

  it('treats a line due for recycling as recycled before the sweep ran: 409 line_recycled, nothing changed', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx, { carrier: 'us-paygo' });
    await creditMonth(ctx, lineId);
    await advanceClockOnly(ctx, 61 * 86_400);
    const token = await ctx.adminToken();
    for (const action of ['suspend', 'resume', 'terminate']) {
      const r = await ctx.post(`/api/v1/admin/lines/${lineId}/${action}`, undefined, { token });
      expect([r.status, r.json.code]).toEqual([409, 'line_recycled']);
    }
    const stored = await ctx.db.query<{ status: string; operator_suspended: boolean }>('SELECT status, operator_suspended FROM lines WHERE id = $1', [lineId]);
    expect(stored.rows[0]).toEqual({ status: 'active', operator_suspended: false });
    const audit = await ctx.get(`/api/v1/admin/audit?target=${lineId}`, { token });
    expect(audit.json.items).toEqual([]);
  });

  it('suspends, resumes and terminates a line, recording each step in the audit log and the line history', async () => {
    const ctx = get();
    const token = await ctx.adminToken();
    const { lineId, customer } = await activeLine(ctx);
    const suspended = await ctx.post(`/api/v1/admin/lines/${lineId}/suspend`, { reason: 'reported stolen' }, { token });
    expect(suspended.status).toBe(200);
    expect(suspended.json).toMatchObject({ id: lineId, status: 'suspended', operatorSuspended: true });
    expect((await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token })).json.status).toBe('suspended');
    const resumed = await ctx.post(`/api/v1/admin/lines/${lineId}/resume`, undefined, { token });
    expect(resumed.json).toMatchObject({ status: 'active', operatorSuspended: false });
    const terminated = await ctx.post(`/api/v1/admin/lines/${lineId}/terminate`, { reason: 'customer request' }, { token });
    expect(terminated.json.status).toBe('terminated');

    const audit = await ctx.get(`/api/v1/admin/audit?target=${lineId}`, { token });
    expect(audit.json.items.map((e: { action: string }) => e.action)).toEqual(['line.terminate', 'line.resume', 'line.suspend']);
    expect(audit.json.items[2].details).toMatchObject({ from: 'active', to: 'suspended', reason: 'reported stolen' });
    const history = await ctx.db.query<{ from_status: string; to_status: string; reason: string }>(
      'SELECT from_status, to_status, reason FROM line_events WHERE line_id = $1 ORDER BY id', [lineId],
    );
    expect(history.rows).toEqual([
      { from_status: 'inventory', to_status: 'bound', reason: 'bound' },
      { from_status: 'bound', to_status: 'active', reason: 'recharged' },
      { from_status: 'active', to_status: 'suspended', reason: 'operator_suspend' },
      { from_status: 'suspended', to_status: 'active', reason: 'operator_resume' },
      { from_status: 'active', to_status: 'terminated', reason: 'operator_terminate' },
    ]);
  });

  it('keeps a terminated line terminated', async () => {
    const ctx = get();
    const token = await ctx.adminToken();
    const { lineId } = await activeLine(ctx);
    await ctx.post(`/api/v1/admin/lines/${lineId}/terminate`, undefined, { token });
    for (const action of ['suspend', 'resume', 'terminate']) {
      const r = await ctx.post(`/api/v1/admin/lines/${lineId}/${action}`, undefined, { token });
      expect(r.status).toBe(409);
      expect(r.json.code).toBe('line_terminated');
    }
  });

  it('refuses to resume a line no operator suspended', async () => {
    const ctx = get();
    const { lineId } = await activeLine(ctx);
    const r = await ctx.post(`/api/v1/admin/lines/${lineId}/resume`, undefined, { token: await ctx.adminToken() });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('line_not_suspended');
  });

  it('answers 404 line_not_found for an unknown line', async () => {
    const ctx = get();
    const r = await ctx.post('/api/v1/admin/lines/line_nope/suspend', undefined, { token: await ctx.adminToken() });
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('line_not_found');
  });
});
