import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { bind, customerWithLine, nextCard, stock } from '../support/lines-fixtures.ts';

forEachDatabase('binding a card', (get) => {
  it('binds a card with its ICCID and PIN and shows the new line', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const card = nextCard({ form: 'physical' });
    await stock(ctx, card);
    const r = await bind(ctx, customer.token, card);
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      iccid: card.iccid, msisdn: card.msisdn, form: 'physical', nickname: null, status: 'bound', carrier: 'us-paygo',
      plan: null, expiresAt: null, keepAliveBy: null, autoRenew: { enabled: false, planId: null },
      balances: { wallet: { amount: 0, currency: 'USD' }, dataMb: 0, voiceMin: 0, sms: 0 }, buckets: [],
    });
    expect(r.json.id).toMatch(/^line_/);
    const again = await ctx.get(`/api/v1/lines/${r.json.id}`, { token: customer.token });
    expect(again.status).toBe(200);
    expect(again.json.iccid).toBe(card.iccid);
  });

  it('accepts the ICCID with spaces and dashes as printed on the card', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const card = nextCard();
    await stock(ctx, card);
    const spaced = card.iccid.replace(/(\d{4})/g, '$1 ').trim().replace(/ (\d{4})$/, '-$1');
    const r = await bind(ctx, customer.token, { iccid: spaced, pin: card.pin });
    expect(r.status).toBe(201);
    expect(r.json.iccid).toBe(card.iccid);
  });

  it('rejects a malformed ICCID or a wrong check digit with 422 invalid_iccid', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const card = nextCard();
    const wrongCheck = card.iccid.slice(0, -1) + String((Number(card.iccid.slice(-1)) + 1) % 10);
    for (const iccid of [wrongCheck, '12345', '8901abc', '']) {
      const r = await bind(ctx, customer.token, { iccid, pin: '1234' });
      expect(r.status).toBe(422);
      expect(r.json.code).toBe('invalid_iccid');
    }
  });

  it('answers an unknown card, a wrong PIN and a retired card with the identical 404', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const [known, unknown, retired] = [nextCard(), nextCard(), nextCard()];
    await stock(ctx, known, retired);
    await ctx.db.query(`UPDATE sims SET status = 'retired' WHERE iccid = $1`, [retired.iccid]);
    const wrongPin = await bind(ctx, customer.token, { iccid: known.iccid, pin: '0000' });
    const notStocked = await bind(ctx, customer.token, unknown);
    const retiredCard = await bind(ctx, customer.token, retired);
    expect(wrongPin.status).toBe(404);
    expect(wrongPin.json.code).toBe('card_not_found_or_wrong_pin');
    expect(notStocked.text).toBe(wrongPin.text);
    expect(retiredCard.text).toBe(wrongPin.text);
  });

  it('locks the card after 5 wrong PINs, even for the right PIN, and unlocks it 15 minutes later', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const card = nextCard();
    await stock(ctx, card);
    for (let i = 0; i < 5; i++) {
      const r = await bind(ctx, customer.token, { iccid: card.iccid, pin: '0000' });
      expect(r.status).toBe(404);
    }
    const locked = await bind(ctx, customer.token, card);
    expect(locked.status).toBe(423);
    expect(locked.json.code).toBe('card_locked');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    await ctx.advance(10 * 60);
    expect((await bind(ctx, customer.token, card)).status).toBe(423);
    await ctx.advance(5 * 60 + 1);
    const unlocked = await bind(ctx, customer.token, card);
    expect(unlocked.status).toBe(201);
  });

  it('locks an unknown card number the same way, so a lock reveals nothing', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const unknown = nextCard();
    for (let i = 0; i < 5; i++) expect((await bind(ctx, customer.token, unknown)).status).toBe(404);
    expect((await bind(ctx, customer.token, unknown)).status).toBe(423);
  });

  it('counts wrong PINs per card: another card stays bindable', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const [attacked, other] = [nextCard(), nextCard()];
    await stock(ctx, attacked, other);
    for (let i = 0; i < 6; i++) await bind(ctx, customer.token, { iccid: attacked.iccid, pin: '0000' });
    expect((await bind(ctx, customer.token, other)).status).toBe(201);
  });

  it('answers 409 card_already_bound only to someone who knows the PIN', async () => {
    const ctx = get();
    const { card } = await customerWithLine(ctx);
    const intruder = await ctx.customer();
    const withoutPin = await bind(ctx, intruder.token, { iccid: card.iccid, pin: '9999' });
    expect(withoutPin.status).toBe(404);
    expect(withoutPin.json.code).toBe('card_not_found_or_wrong_pin');
    const withPin = await bind(ctx, intruder.token, card);
    expect(withPin.status).toBe(409);
    expect(withPin.json.code).toBe('card_already_bound');
  });

  it('binds a card once when two customers bind it at the same time', async () => {
    const ctx = get();
    const [a, b] = [await ctx.customer(), await ctx.customer()];
    const card = nextCard();
    await stock(ctx, card);
    const results = await Promise.all([bind(ctx, a.token, card), bind(ctx, b.token, card)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const lines = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM lines WHERE iccid = $1', [card.iccid]);
    expect(lines.rows[0]?.n).toBe(1);
  });

  it('holds several lines per account and lists only the caller\'s', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const cards = [nextCard(), nextCard({ form: 'physical', carrier: 'uk-keep', msisdn: '+447700900777' })];
    await stock(ctx, ...cards);
    for (const card of cards) expect((await bind(ctx, customer.token, card)).status).toBe(201);
    const other = await customerWithLine(ctx);
    const mine = await ctx.get('/api/v1/lines', { token: customer.token });
    expect(mine.status).toBe(200);
    expect(mine.json.items.map((l: { iccid: string }) => l.iccid).sort()).toEqual(cards.map((c) => c.iccid).sort());
    const uk = mine.json.items.find((l: { carrier: string }) => l.carrier === 'uk-keep');
    expect(uk.balances.wallet.currency).toBe('GBP');
    expect(mine.json.items.some((l: { id: string }) => l.id === other.lineId)).toBe(false);
  });

  it('names a line and stores auto-renewal settings through PATCH', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx);
    const named = await ctx.patch(`/api/v1/lines/${lineId}`, { nickname: 'Bank 2FA' }, { token: customer.token });
    expect(named.status).toBe(200);
    expect(named.json.nickname).toBe('Bank 2FA');
    const renew = await ctx.patch(
      `/api/v1/lines/${lineId}`,
      { autoRenew: { enabled: true, planId: 'plan_demo_us_keepalive', monthlyCap: { amount: 2500, currency: 'USD' } } },
      { token: customer.token },
    );
    expect(renew.status).toBe(200);
    expect(renew.json.nickname).toBe('Bank 2FA');
    expect(renew.json.autoRenew).toEqual({ enabled: true, planId: 'plan_demo_us_keepalive', monthlyCap: { amount: 2500, currency: 'USD' } });
    const cleared = await ctx.patch(`/api/v1/lines/${lineId}`, { nickname: null }, { token: customer.token });
    expect(cleared.json.nickname).toBeNull();
    expect(cleared.json.autoRenew.enabled).toBe(true);
  });

  it('refuses auto-renewal settings that cannot work', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx);
    const badId = await ctx.patch(`/api/v1/lines/${lineId}`, { autoRenew: { enabled: true, planId: 'not a plan' } }, { token: customer.token });
    expect(badId.status).toBe(400);
    const noPlan = await ctx.patch(`/api/v1/lines/${lineId}`, { autoRenew: { enabled: true, planId: null } }, { token: customer.token });
    expect(noPlan.status).toBe(422);
    expect(noPlan.json.code).toBe('plan_required');
    const wrongCurrency = await ctx.patch(
      `/api/v1/lines/${lineId}`,
      { autoRenew: { enabled: true, planId: 'plan_demo_us_keepalive', monthlyCap: { amount: 100, currency: 'GBP' } } },
      { token: customer.token },
    );
    expect(wrongCurrency.status).toBe(422);
    expect(wrongCurrency.json.code).toBe('currency_mismatch');
    for (const [planId, why] of [['plan_nope', /no such plan/], ['plan_demo_us_data_1gb', /cannot auto-renew/], ['plan_demo_uk_keepalive', /not sold in USD/]] as const) {
      const bad = await ctx.patch(`/api/v1/lines/${lineId}`, { autoRenew: { enabled: true, planId } }, { token: customer.token });
      expect(bad.status).toBe(422);
      expect(bad.json.code).toBe('invalid_auto_renew_plan');
      expect(bad.json.detail).toMatch(why);
    }
    const unchanged = await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token });
    expect(unchanged.json.autoRenew).toEqual({ enabled: false, planId: null, monthlyCap: null });
  });
});
