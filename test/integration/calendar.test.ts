// The deadline calendar (API.md "Lines"): every upcoming deadline of the caller's lines, soonest
// first, with the cheapest act that keeps the number; the same as RFC 5545 text, and through a
// private feed URL whose secret can be rotated (the old one then answers 404).
import { expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { creditMonth, customerWithLine } from '../support/lines-fixtures.ts';

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** The line's expiry as the API shows it: the instant its deadlines count from (the sandbox clock keeps running). */
async function expiryOf(ctx: TestContext, token: string, lineId: string): Promise<number> {
  const r = await ctx.get(`/api/v1/lines/${lineId}`, { token });
  return Date.parse(r.json.expiresAt) - 30 * DAY_MS;
}

async function planId(ctx: TestContext, token: string, lineId: string, code: string): Promise<string> {
  const r = await ctx.get(`/api/v1/plans?lineId=${lineId}`, { token });
  const plan = r.json.items.find((p: { code: string }) => p.code === code);
  if (!plan) throw new Error(`no plan ${code}`);
  return plan.id as string;
}

/** Unfolds RFC 5545 content lines (CRLF + one space continues the previous line). */
const unfold = (text: string): string[] => text.replace(/\r\n /g, '').split('\r\n');

forEachDatabase('calendar', (get) => {
  it('lists a line\'s expiry, suspension and recycling soonest first, each with its cheapest action and price', async () => {
    const ctx = get();
    const { customer, lineId, card } = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, lineId);
    const t0 = await expiryOf(ctx, customer.token, lineId);
    const r = await ctx.get('/api/v1/calendar', { token: customer.token });
    expect(r.status, r.text).toBe(200);
    // us-paygo: 30-day validity, no grace, suspended 30 days; the cheapest base plan is us-keepalive-30 ($3).
    const price = { amount: 300, currency: 'USD' };
    const plan = { id: await planId(ctx, customer.token, lineId, 'us-keepalive-30'), name: 'Keep-alive 30 days, 100 MB' };
    expect(r.json.items).toEqual([
      { lineId, msisdn: card.msisdn, nickname: null, kind: 'expiry', at: iso(t0 + 30 * DAY_MS), action: 'renew', price, plan },
      { lineId, msisdn: card.msisdn, nickname: null, kind: 'suspension', at: iso(t0 + 30 * DAY_MS), action: 'renew', price, plan },
      { lineId, msisdn: card.msisdn, nickname: null, kind: 'recycling', at: iso(t0 + 60 * DAY_MS), action: 'renew', price, plan },
    ]);
    // The plan's name comes in the request's language.
    const zh = await ctx.get('/api/v1/calendar', { token: customer.token, headers: { 'accept-language': 'zh-CN' } });
    expect(zh.json.items[0].plan).toEqual({ id: plan.id, name: '保号 30 天，100 MB' });
    expect((await ctx.get('/api/v1/calendar?days=45', { token: customer.token })).json.items.map((e: { kind: string }) => e.kind))
      .toEqual(['expiry', 'suspension']);
    for (const days of ['0', '367', 'x']) {
      const bad = await ctx.get(`/api/v1/calendar?days=${days}`, { token: customer.token });
      expect(bad.status, days).toBe(400);
    }
    expect((await ctx.get('/api/v1/calendar')).status).toBe(401);
    // Another subscriber sees none of it.
    const other = await ctx.customer();
    expect((await ctx.get('/api/v1/calendar', { token: other.token })).json.items).toEqual([]);
  });

  it('shows the scheduled renewal and its price when auto-renew is on, and "use the line" for an activity carrier', async () => {
    const ctx = get();
    const us = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, us.lineId);
    const t0 = await expiryOf(ctx, us.customer.token, us.lineId);
    const keepalive = await planId(ctx, us.customer.token, us.lineId, 'us-keepalive-30');
    const patched = await ctx.patch(`/api/v1/lines/${us.lineId}`, { autoRenew: { enabled: true, planId: keepalive } }, { token: us.customer.token });
    expect(patched.status, patched.text).toBe(200);
    const r = await ctx.get('/api/v1/calendar?days=40', { token: us.customer.token });
    // SIMKEEP_RENEW_DAYS_BEFORE defaults to 2.
    expect(r.json.items.map((e: any) => [e.kind, e.at, e.action, e.price?.amount, e.plan?.id])).toEqual([
      ['renewal', iso(t0 + 28 * DAY_MS), 'auto_renew_scheduled', 300, keepalive],
      ['expiry', iso(t0 + 30 * DAY_MS), 'auto_renew_scheduled', 300, keepalive],
      ['suspension', iso(t0 + 30 * DAY_MS), 'renew', 300, keepalive],
    ]);

    const uk = await customerWithLine(ctx, { carrier: 'uk-keep', form: 'physical' });
    await creditMonth(ctx, uk.lineId);
    const t1 = await expiryOf(ctx, uk.customer.token, uk.lineId);
    const items = (await ctx.get('/api/v1/calendar?days=200', { token: uk.customer.token })).json.items;
    // uk-keep: the plan ends at 30 days but the number lives while there is activity within 180 days.
    expect(items.map((e: any) => [e.kind, e.at, e.action])).toEqual([
      ['expiry', iso(t1 + 30 * DAY_MS), 'renew'],
      ['keepalive', iso(t1 + 180 * DAY_MS), 'use_line'],
      ['recycling', iso(t1 + 180 * DAY_MS), expect.stringMatching(/^(renew|recharge)$/)],
    ]);
    expect(items[0].price.currency).toBe('GBP');
    expect(items[1].price).toBeUndefined();
    expect(items[1].plan).toBeUndefined(); // using the line buys nothing
  });

  it('serves the calendar as RFC 5545 text: CRLF, folded at 75 octets, stable UIDs, the summary in the user\'s language', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, lineId);
    const nickname = '我的美国号码'.repeat(10); // 60 characters, 180 octets: the SUMMARY must fold
    expect((await ctx.patch(`/api/v1/lines/${lineId}`, { nickname }, { token: customer.token })).status).toBe(200);
    const r = await ctx.get('/api/v1/calendar.ics', { token: customer.token, headers: { 'accept-language': 'zh-CN' } });
    expect(r.status, r.text).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/calendar/);
    const text = r.text;
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const physical of text.split('\r\n')) expect(Buffer.byteLength(physical, 'utf8')).toBeLessThanOrEqual(75);
    expect(text).toMatch(/\r\n [^\r\n]/); // something was folded
    const lines = unfold(text);
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines).toContain('VERSION:2.0');
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(3);
    expect(lines.filter((l) => l.startsWith('DTSTAMP:')).every((l) => /^DTSTAMP:\d{8}T\d{6}Z$/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('DTSTART:')).every((l) => /^DTSTART:\d{8}T\d{6}Z$/.test(l))).toBe(true);
    expect(lines).toContain(`SUMMARY:${nickname} (${(await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token })).json.msisdn})：套餐到期`);
    const uids = lines.filter((l) => l.startsWith('UID:'));
    expect(new Set(uids).size).toBe(3);
    // The same deadlines, polled again later, keep their UIDs (a calendar app updates, never duplicates).
    await ctx.advance(3600);
    const again = unfold((await ctx.get('/api/v1/calendar.ics', { token: customer.token })).text).filter((l) => l.startsWith('UID:'));
    expect(again).toEqual(uids);
    expect(unfold((await ctx.get('/api/v1/calendar.ics', { token: customer.token })).text).some((l) => l.includes(': plan expires'))).toBe(true);
  });

  it('gives a private feed URL that works without credentials, and rotating it makes the old one 404', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { carrier: 'us-paygo', form: 'physical' });
    await creditMonth(ctx, lineId);
    const me = await ctx.get('/api/v1/me', { token: customer.token });
    expect(me.status, me.text).toBe(200);
    const url = new URL(me.json.calendarFeedUrl);
    expect(url.pathname).toMatch(/^\/api\/v1\/calendar\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
    expect((await ctx.get('/api/v1/me', { token: customer.token })).json.calendarFeedUrl).toBe(url.href);
    const feed = await ctx.get(url.pathname);
    expect(feed.status, feed.text).toBe(200);
    expect(feed.text).toContain('BEGIN:VEVENT');
    // The secret is stored only hashed and encrypted.
    const { rows } = await ctx.db.query<{ row: string }>('SELECT row_to_json(f)::text AS row FROM calendar_feeds f WHERE user_id = $1', [customer.user.id]);
    expect(rows[0]?.row).not.toContain(url.pathname.split('/').pop()?.replace('.ics', ''));

    const rotated = await ctx.post('/api/v1/me/calendar-feed/rotate', undefined, { token: customer.token });
    expect(rotated.status, rotated.text).toBe(200);
    const next = new URL(rotated.json.calendarFeedUrl);
    expect(next.pathname).not.toBe(url.pathname);
    const old = await ctx.get(url.pathname);
    expect(old.status).toBe(404);
    expect(old.json.code).toBe('calendar_feed_not_found');
    expect((await ctx.get(next.pathname)).status).toBe(200);
    expect((await ctx.get('/api/v1/me', { token: customer.token })).json.calendarFeedUrl).toBe(next.href);
    for (const path of [next.pathname.replace(/\.ics$/, ''), '/api/v1/calendar/feed/nope.ics', `/api/v1/calendar/feed/${'A'.repeat(43)}.ics`]) {
      const r = await ctx.get(path);
      expect(r.status, path).toBe(404);
    }
    expect((await ctx.post('/api/v1/me/calendar-feed/rotate')).status).toBe(401);

    // A copy that no longer decrypts (the server key was changed) is replaced, not a 500.
    await ctx.db.query(`UPDATE calendar_feeds SET secret_enc = 'v1:AAAA' WHERE user_id = $1`, [customer.user.id]);
    const reissued = await ctx.get('/api/v1/me', { token: customer.token });
    expect(reissued.status, reissued.text).toBe(200);
    expect(reissued.json.calendarFeedUrl).not.toBe(next.href);
    expect((await ctx.get(new URL(reissued.json.calendarFeedUrl).pathname)).status).toBe(200);
  });
});
