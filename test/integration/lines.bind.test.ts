import { expect, it } from 'vitest';
import { forEachDatabase, randomClientAddress } from '../support/harness.ts';
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

  it('answers an over-long ICCID with 422 invalid_iccid, not a schema 400', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    for (const iccid of ['8'.repeat(70), `${nextCard().iccid}${'0'.repeat(50)}`, ' '.repeat(200)]) {
      const r = await bind(ctx, customer.token, { iccid, pin: '1234' });
      expect([r.status, r.json.code]).toEqual([422, 'invalid_iccid']);
      expect(r.json.errors).toEqual([{ path: 'iccid', message: expect.any(String) }]);
    }
  });

  it('refuses nicknames with control characters or bidi overrides with 422 and the field path, changing nothing', async () => {
    const ctx = get();
    const { customer, card, lineId } = await customerWithLine(ctx);
    for (const nickname of ['Mom\u0007\u001b[31m', '\u202Eevil', 'a\u2066b', 'tab\there', 'del\u007F', 'c1\u0085']) {
      const r = await ctx.patch(`/api/v1/lines/${lineId}`, { nickname }, { token: customer.token });
      expect([r.status, r.json.code]).toEqual([422, 'invalid_nickname']);
      expect(r.json.errors).toEqual([{ path: 'nickname', message: expect.stringMatching(/^contains U\+[0-9A-F]{4}/) }]);
    }
    expect((await ctx.get(`/api/v1/lines/${lineId}`, { token: customer.token })).json.nickname).toBeNull();
    // Emoji with zero-width joiners, accents and CJK are fine.
    const fine = await ctx.patch(`/api/v1/lines/${lineId}`, { nickname: '  妈妈 👩‍👩‍👧 Zoë  ' }, { token: customer.token });
    expect([fine.status, fine.json.nickname]).toEqual([200, '妈妈 👩‍👩‍👧 Zoë']);

    // Binding with a bad nickname is refused before the PIN is checked: no attempt is spent.
    const other = await ctx.customer();
    const fresh = nextCard();
    await stock(ctx, fresh);
    for (let i = 0; i < 6; i++) {
      const r = await ctx.post('/api/v1/lines/bind', { iccid: fresh.iccid, pin: '0000', nickname: '\u202Eevil' }, { token: other.token });
      expect([r.status, r.json.code]).toEqual([422, 'invalid_nickname']);
    }
    const bound = await ctx.post('/api/v1/lines/bind', { iccid: fresh.iccid, pin: fresh.pin, nickname: 'Work' }, { token: other.token });
    expect([bound.status, bound.json.nickname]).toEqual([201, 'Work']);
    expect(card.iccid).not.toBe(fresh.iccid);
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
    ctx.advanceWall(10 * 60);
    expect((await bind(ctx, customer.token, card)).status).toBe(423);
    ctx.advanceWall(5 * 60 + 1);
    const unlocked = await bind(ctx, customer.token, card);
    expect(unlocked.status).toBe(201);
  });

  it('locks at the 5th wrong PIN, not the 6th: the lock runs 15 minutes from that failure, the right PIN included', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const card = nextCard();
    await stock(ctx, card);
    // Two minutes apart: the attempt window (15 min from the first guess) ends long before the lock,
    // so only a lock set at the 5th failure still refuses the right PIN 14:59 after it.
    let fifthAtMs = 0;
    for (let i = 0; i < 5; i++) {
      if (i > 0) ctx.advanceWall(120);
      fifthAtMs = ctx.app.deps.wallClock.now().getTime();
      const r = await bind(ctx, customer.token, { iccid: card.iccid, pin: '0000' });
      expect([i + 1, r.status, r.json.code]).toEqual([i + 1, 404, 'card_not_found_or_wrong_pin']);
    }
    ctx.advanceWall(60);
    const sixth = await bind(ctx, customer.token, { iccid: card.iccid, pin: '0000' });
    expect([sixth.status, sixth.json.code]).toEqual([423, 'card_locked']);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(14 * 60 - 5);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(14 * 60);
    // 14:59 after the 5th failure (rounded down to whole seconds): still locked, even for the right PIN.
    const secondsTo = (offsetSeconds: number, round: (x: number) => number): number =>
      round((fifthAtMs + offsetSeconds * 1000 - ctx.app.deps.wallClock.now().getTime()) / 1000);
    ctx.advanceWall(secondsTo(15 * 60 - 1, Math.floor));
    const rightPinLocked = await bind(ctx, customer.token, card);
    expect([rightPinLocked.status, rightPinLocked.json.code]).toEqual([423, 'card_locked']);
    expect(Number(rightPinLocked.headers['retry-after'])).toBeLessThanOrEqual(2);
    // 15:01 after it: open, and refusals during the lock spent no attempt.
    ctx.advanceWall(secondsTo(15 * 60 + 1, Math.ceil));
    const open = await bind(ctx, customer.token, card);
    expect(open.status, open.text).toBe(201);
  });

  it('checks at most 5 of 10 simultaneous wrong PINs, and every refusal names the lock\'s real end', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const card = nextCard();
    await stock(ctx, card);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => bind(ctx, customer.token, { iccid: card.iccid, pin: String(1000 + i) })));
    expect(results.filter((r) => r.status === 404)).toHaveLength(5);
    const locked = results.filter((r) => r.status === 423);
    expect(locked).toHaveLength(5);
    for (const r of locked) {
      expect(r.json.code).toBe('card_locked');
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(15 * 60 - 5);
    }
    expect((await bind(ctx, customer.token, card)).status).toBe(423);
  });

  it('names the lock\'s end, not the attempt window\'s, when simultaneous guesses hit the attempt cap', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const card = nextCard();
    await stock(ctx, card);
    expect((await bind(ctx, customer.token, { iccid: card.iccid, pin: '0000' })).status).toBe(404);
    // The attempt window started 10 minutes before the burst; the lock starts with the burst.
    ctx.advanceWall(10 * 60);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => bind(ctx, customer.token, { iccid: card.iccid, pin: String(2000 + i) })));
    expect(results.filter((r) => r.status === 404)).toHaveLength(4);
    const locked = results.filter((r) => r.status === 423);
    expect(locked).toHaveLength(6);
    for (const r of locked) expect(Number(r.headers['retry-after'])).toBeGreaterThan(15 * 60 - 5);
    // And the lock really lasts that long: 14 minutes on, the right PIN is still refused.
    ctx.advanceWall(14 * 60);
    expect((await bind(ctx, customer.token, card)).status).toBe(423);
    ctx.advanceWall(60 + 1);
    expect((await bind(ctx, customer.token, card)).status).toBe(201);
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

  it('limits wrong PINs per account across cards: one account cannot guess on card after card and lock them', async () => {
    const ctx = get();
    // Earlier tests spent this address's hourly budget: PIN budgets age on wall time, so start a fresh window.
    ctx.advanceWall(3600 + 1);
    const guesser = await ctx.customer();
    const cards = [nextCard(), nextCard(), nextCard(), nextCard()];
    await stock(ctx, ...cards);
    // 4 + 4 + 2 wrong PINs on three cards: the account's 10 an hour.
    for (const [card, tries] of [[cards[0], 4], [cards[1], 4], [cards[2], 2]] as const) {
      for (let i = 0; i < tries; i++) expect((await bind(ctx, guesser.token, { iccid: card?.iccid ?? '', pin: '0000' })).status).toBe(404);
    }
    const refused = await bind(ctx, guesser.token, { iccid: cards[3]?.iccid ?? '', pin: '0000' });
    expect(refused.status).toBe(429);
    expect(refused.json.code).toBe('too_many_attempts');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The refused guess was not counted on the card: its buyer binds it.
    const owner = await ctx.customer();
    for (const card of cards) expect((await bind(ctx, owner.token, card)).status).toBe(201);
  });

  it('limits wrong PINs per client address across accounts', async () => {
    const ctx = get();
    // Earlier tests spent this address's hourly budget: PIN budgets age on wall time, so start a fresh window.
    ctx.advanceWall(3600 + 1);
    const ip = randomClientAddress();
    const card = nextCard();
    await stock(ctx, card);
    const statuses: number[] = [];
    for (let a = 0; a < 11; a++) {
      const guesser = await ctx.customer();
      for (let i = 0; i < 10; i++) {
        const unknown = nextCard();
        statuses.push((await ctx.post('/api/v1/lines/bind', { iccid: unknown.iccid, pin: '0000' }, { token: guesser.token, remoteAddress: ip })).status);
      }
    }
    expect(statuses.filter((s) => s === 404)).toHaveLength(100);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    // Elsewhere, the card's buyer is not held back.
    const owner = await ctx.customer();
    expect((await ctx.post('/api/v1/lines/bind', card, { token: owner.token, remoteAddress: randomClientAddress() })).status).toBe(201);
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
