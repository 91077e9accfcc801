import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, paySandbox, paymentJournals, plainPlan, topUp, walletOf } from '../support/orders-fixtures.ts';

forEachDatabase('the paid journey', (get) => {
  it('pays a card order on the sandbox page and provisions the line: paid → provisioning → completed', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const quote = await ctx.post('/api/v1/quotes', { lineId: b.lineId, planId: plan.id }, { token: b.token });
    expect(quote.status, quote.text).toBe(200);
    const created = await order(ctx, b, { planId: plan.id, quoteId: quote.json.id, paymentMethod: 'card' });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      lineId: b.lineId, kind: 'plan', status: 'awaiting_payment', paymentMethod: 'card',
      subtotal: { amount: 500, currency: 'USD' }, discount: { amount: 0, currency: 'USD' }, total: { amount: 500, currency: 'USD' },
      payment: { provider: 'sandbox', status: 'pending', action: { type: 'redirect' } },
    });
    expect(created.json.payment.action.url).toMatch(new RegExp(`/sandbox/pay/${created.json.payment.id}$`));
    const page = await ctx.get(new URL(created.json.payment.action.url).pathname);
    expect(page.status).toBe(200);
    expect(page.text).toContain('$5.00');

    await paySandbox(ctx, created.json.payment.id);
    const done = await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token });
    expect(done.json.status).toBe('completed');
    expect(done.json.payment.status).toBe('succeeded');
    expect(done.json.events.map((e: { status: string }) => e.status)).toEqual(['awaiting_payment', 'paid', 'provisioning', 'completed']);
    const line = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    expect(line.json.status).toBe('active');
    expect(line.json.balances.dataMb).toBe(1024);
    expect(line.json.expiresAt).toBeTruthy();
    // The sandbox delivered its webhook twice: credited once.
    expect(await paymentJournals(ctx, created.json.id)).toBe(1);
    expect(await walletOf(ctx, b)).toBe(0);
    await expectLedgerSound(ctx);
  });

  it('tops the wallet up by card, then pays a plan from the wallet at once', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    await topUp(ctx, b, 2_000);
    expect(await walletOf(ctx, b)).toBe(2_000);
    const plan = await plainPlan(ctx, 800);
    const paid = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' });
    expect(paid.status, paid.text).toBe(201);
    expect(paid.json.status).toBe('paid');
    expect(paid.json.payment).toMatchObject({ provider: 'wallet', status: 'succeeded', action: { type: 'none' } });
    await ctx.drain();
    expect((await ctx.get(`/api/v1/orders/${paid.json.id}`, { token: b.token })).json.status).toBe('completed');
    const wallet = await ctx.get('/api/v1/wallet', { token: b.token });
    expect(wallet.json.balance).toEqual({ amount: 1_200, currency: 'USD' });
    expect(wallet.json.entries.map((e: { amount: { amount: number } }) => e.amount.amount)).toEqual([-800, 2_000]);
    expect(wallet.json.entries[0].orderId).toBe(paid.json.id);
    await expectLedgerSound(ctx);
  });

  it('sells a top-up plan from the catalog by card: the wallet is credited, the line recharged', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const created = await order(ctx, b, { planId: 'plan_demo_us_topup_10', paymentMethod: 'card' });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ kind: 'topup', status: 'awaiting_payment', subtotal: { amount: 1_000, currency: 'USD' } });
    await paySandbox(ctx, created.json.payment.id);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token })).json.status).toBe('completed');
    expect(await walletOf(ctx, b) - created.json.total.amount).toBe(created.json.bonus.walletCredit.amount);
    const line = await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token });
    expect(line.json.status).toBe('active');
    await expectLedgerSound(ctx);
  });

  it.each(['extend', 'stack', 'reset'] as const)('credits exactly what the quote previewed (%s policy)', async (policy) => {
    const ctx = get();
    const b = await buyer(ctx);
    const first = await order(ctx, b, { planId: (await plainPlan(ctx, 300)).id, paymentMethod: 'card' });
    await paySandbox(ctx, first.json.payment.id);
    const plan = await plainPlan(ctx, 400, { expiryPolicy: policy, validityDays: 10, allowances: { dataMb: 512, voiceMin: 5, sms: 0 } });
    const quote = await ctx.post('/api/v1/quotes', { lineId: b.lineId, planId: plan.id }, { token: b.token });
    expect(quote.status, quote.text).toBe(200);
    const created = await order(ctx, b, { planId: plan.id, quoteId: quote.json.id, paymentMethod: 'card' });
    await paySandbox(ctx, created.json.payment.id);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token })).json.status).toBe('completed');

    const line = (await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token })).json;
    const ms = (iso: string): number => new Date(iso).getTime();
    // Crediting runs a moment after quoting: instants may differ by that moment, nothing else.
    expect(Math.abs(ms(line.expiresAt) - ms(quote.json.preview.expiresAt))).toBeLessThan(60_000);
    // Same buckets (the two lists may order buckets of one expiry differently).
    const byContent = (x: [string, number, string, number], y: [string, number, string, number]): number =>
      `${x[0]}:${x[2]}:${x[1]}`.localeCompare(`${y[0]}:${y[2]}:${y[1]}`) || x[3] - y[3];
    const shown = line.buckets
      .map((x: { unit: string; remaining: number; source: string; expiresAt: string }) => [x.unit, x.remaining, x.source, ms(x.expiresAt)])
      .sort(byContent);
    const previewed = quote.json.preview.buckets
      .map((x: { unit: string; quantity: number; source: string; expiresAt: string }) => [x.unit, x.quantity, x.source, ms(x.expiresAt)])
      .sort(byContent);
    expect(shown.map((x: unknown[]) => x.slice(0, 3))).toEqual(previewed.map((x: unknown[]) => x.slice(0, 3)));
    shown.forEach((x: number[], i: number) => expect(Math.abs((x[3] ?? 0) - (previewed[i]?.[3] ?? 0))).toBeLessThan(60_000));
  });

  it('extends a US PayGo line by a top-up exactly as the quote previewed (the carrier grants top-ups validity)', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const amount = { amount: 700, currency: 'USD' };
    const quote = await ctx.post('/api/v1/quotes', { lineId: b.lineId, amount }, { token: b.token });
    expect(quote.status, quote.text).toBe(200);
    expect(quote.json.preview.expiresAt).not.toBeNull();
    await topUp(ctx, b, 700);
    const line = (await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token })).json;
    expect(Math.abs(new Date(line.expiresAt).getTime() - new Date(quote.json.preview.expiresAt).getTime())).toBeLessThan(60_000);
  });

  it('pays with a voucher once; the remainder goes to the wallet; the code cannot be used again', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const issued = await ctx.post('/api/v1/admin/vouchers', { count: 2, amount: { amount: 1_000, currency: 'USD' } }, { token: await ctx.adminToken() });
    expect(issued.status, issued.text).toBe(201);
    expect(issued.json.items).toHaveLength(2);
    const code: string = issued.json.items[0].code;
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    const plan = await plainPlan(ctx, 600);
    const paid = await order(ctx, b, { planId: plan.id, paymentMethod: 'voucher', voucherCode: code.toLowerCase() });
    expect(paid.status, paid.text).toBe(201);
    expect(paid.json.status).toBe('paid');
    expect(await walletOf(ctx, b)).toBe(400);
    const again = await order(ctx, b, { planId: plan.id, paymentMethod: 'voucher', voucherCode: code });
    expect(again.status).toBe(422);
    expect(again.json.code).toBe('invalid_voucher');
    await ctx.drain();
    await expectLedgerSound(ctx);
  });

  it('shows an HTML receipt in the customer\'s language, escaped', async () => {
    const ctx = get();
    const b = await buyer(ctx, 'zh-CN');
    const plan = await plainPlan(ctx, 500, { name: { en: 'Plan <b>1GB</b>', 'zh-CN': '套餐 <b>1GB</b>' } });
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await paySandbox(ctx, created.json.payment.id);
    const receipt = await ctx.get(`/api/v1/orders/${created.json.id}/receipt`, { token: b.token });
    expect(receipt.status).toBe(200);
    expect(String(receipt.headers['content-type'])).toContain('text/html');
    expect(receipt.text).toContain(created.json.id);
    expect(receipt.text).toContain('收据');
    expect(receipt.text).toContain('套餐 &lt;b&gt;1GB&lt;/b&gt;');
    expect(receipt.text).not.toContain('<b>1GB</b>');
    expect(receipt.text).toContain('US$5.00');
    expect(receipt.text).toContain('已完成'); // the order's status in the customer's language
  });

  it('lists the order\'s refunds on the receipt — date, amount, status — and refuses PDF with a clear 406', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const created = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' });
    await paySandbox(ctx, created.json.payment.id);
    const before = await ctx.get(`/api/v1/orders/${created.json.id}/receipt`, { token: b.token });
    expect(before.text).not.toContain('Refunds');
    const admin = await ctx.adminToken();
    const refund = (amount: number, destination: string) => ctx.post(`/api/v1/admin/orders/${created.json.id}/refund`,
      { amount: { amount, currency: 'USD' }, reason: 'receipt', destination }, { token: admin, headers: { 'idempotency-key': randomUUID() } });
    expect((await refund(120, 'provider')).status).toBe(201);
    expect((await refund(30, 'wallet')).status).toBe(201);
    const receipt = await ctx.get(`/api/v1/orders/${created.json.id}/receipt`, { token: b.token });
    expect(receipt.status).toBe(200);
    expect(receipt.text).toContain('<h2>Refunds</h2>');
    const rows = receipt.text.match(/<tr class="refund [^"]*">.*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('−$1.20');
    expect(rows[0]).toContain('refunded');
    expect(rows[0]).toContain('original payment method');
    expect(rows[1]).toContain('−$0.30');
    expect(rows[1]).toContain('wallet');
    expect(rows[0]).toMatch(/\d{4}.*UTC/);
    const pdf = await ctx.get(`/api/v1/orders/${created.json.id}/receipt?format=pdf`, { token: b.token });
    expect([pdf.status, pdf.json.code, pdf.json.status]).toEqual([406, 'pdf_not_available', 406]);
    expect(String(pdf.headers['content-type'])).toContain('application/problem+json');
    const other = await buyer(ctx);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}/receipt?format=pdf`, { token: other.token })).status).toBe(404);
    expect((await ctx.get(`/api/v1/orders/${created.json.id}/receipt?format=docx`, { token: b.token })).status).toBe(400);
  });

  it('lists the customer\'s orders newest first with a cursor', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 300);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await order(ctx, b, { planId: plan.id, paymentMethod: 'card' })).json.id);
    const first = await ctx.get(`/api/v1/orders?lineId=${b.lineId}&limit=2`, { token: b.token });
    expect(first.json.items.map((o: { id: string }) => o.id)).toEqual([ids[2], ids[1]]);
    const rest = await ctx.get(`/api/v1/orders?lineId=${b.lineId}&limit=2&cursor=${first.json.nextCursor}`, { token: b.token });
    expect(rest.json.items.map((o: { id: string }) => o.id)).toEqual([ids[0]]);
    expect(rest.json.nextCursor).toBeNull();
  });

  it('names each discount of an order in the customer\'s language, as the quote does', async () => {
    const ctx = get();
    const plan = await plainPlan(ctx, 1000);
    const admin = await ctx.adminToken();
    const coupon = `TITLE${Date.now()}`;
    const promo = await ctx.post('/api/v1/admin/promotions', {
      title: { en: '10% off', 'zh-CN': '九折' }, kind: 'percent_off', value: 10, couponCode: coupon, planIds: [plan.id],
    }, { token: admin });
    expect(promo.status, promo.text).toBe(201);
    for (const [locale, title] of [['en', '10% off'], ['zh-CN', '九折']] as const) {
      const b = await buyer(ctx, locale);
      const created = await order(ctx, b, { planId: plan.id, couponCode: coupon, paymentMethod: 'card' });
      expect(created.status, created.text).toBe(201);
      const expected = [{ promotionId: promo.json.id, title, amount: { amount: 100, currency: 'USD' } }];
      expect(created.json.discounts).toEqual(expected);
      const listed = await ctx.get(`/api/v1/orders?lineId=${b.lineId}`, { token: b.token });
      expect(listed.json.items[0].discounts).toEqual(expected);
      // Accept-Language outranks the saved locale on every route, as it does in the catalog.
      const other = locale === 'en' ? '九折' : '10% off';
      const asked = await ctx.get(`/api/v1/orders/${created.json.id}`, { token: b.token, headers: { 'accept-language': locale === 'en' ? 'zh-CN' : 'en' } });
      expect(asked.json.discounts[0].title).toBe(other);
    }
  });
});
