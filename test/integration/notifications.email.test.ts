// Email notifications end to end: nodemailer sends to an smtp-server on loopback (SMTP_URL), text
// and HTML in one message, From SIMKEEP_MAIL_FROM, in the subscriber's language.
import { afterAll, expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { raise, startSmtpSink } from '../support/notifications.ts';

const sink = await startSmtpSink();
afterAll(() => sink.close());

const MAIL_FROM = 'simkeep test <notices@simkeep.test>';

forEachDatabase('notifications by email', (get) => {
  it('sends the notification as text and HTML, From SIMKEEP_MAIL_FROM, with a link to the public URL', async () => {
    const ctx = get();
    const customer = await ctx.customer('en');
    const raised = await raise(ctx, { userId: customer.user.id, kind: 'low_balance', data: { balance: { amount: 120, currency: 'USD' } } });
    await ctx.drain();
    const mail = sink.received.find((m) => m.to.includes(customer.email));
    expect(mail).toBeDefined();
    expect(mail?.from).toContain('notices@simkeep.test');
    expect(mail?.subject).toBe('Your wallet balance is low');
    expect(mail?.text).toContain('Your wallet holds $1.20');
    expect(mail?.text).toContain(`${ctx.app.deps.config.publicUrl}/notifications`);
    expect(mail?.html).toContain('<h1>Your wallet balance is low</h1>');
    expect(mail?.html).toContain(`href="${ctx.app.deps.config.publicUrl}/notifications"`);
    const admin = await ctx.adminToken();
    const deliveries = await ctx.get('/api/v1/admin/notifications/deliveries?status=sent', { token: admin });
    expect(deliveries.status).toBe(200);
    expect(deliveries.json.items).toContainEqual(expect.objectContaining({ notificationId: raised.id, channel: 'email', status: 'sent', attempts: 1 }));
  });

  it('writes to a zh-CN subscriber in Chinese', async () => {
    const ctx = get();
    const customer = await ctx.customer('zh-CN');
    await raise(ctx, { userId: customer.user.id, kind: 'ticket_reply', data: { subject: '号码无法激活' } });
    await ctx.drain();
    const mail = sink.received.find((m) => m.to.includes(customer.email));
    expect(mail?.subject).toBe('新回复：号码无法激活');
    expect(mail?.text).toContain('客服已回复您的工单“号码无法激活”');
    expect(mail?.text).toContain('在 simkeep 中打开');
    expect(mail?.html).toContain('<html lang="zh-CN">');
    expect(mail?.html).toContain('<h1>新回复：号码无法激活</h1>');
  });

  it('sends no email to a subscriber who turned email off, and keeps the in-app copy', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const off = await ctx.patch('/api/v1/me/notification-settings', { email: false }, { token: customer.token });
    expect(off.status).toBe(200);
    expect(off.json).toEqual({ email: false, webhook: null, muted: [] });
    await raise(ctx, { userId: customer.user.id });
    await ctx.drain();
    expect(sink.received.filter((m) => m.to.includes(customer.email))).toEqual([]);
    const list = await ctx.get('/api/v1/notifications', { token: customer.token });
    expect(list.json.items).toHaveLength(1);
  });

  it('sends no email queued before the subscriber turned email off', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const raised = await raise(ctx, { userId: customer.user.id });
    expect((await ctx.patch('/api/v1/me/notification-settings', { email: false }, { token: customer.token })).status).toBe(200);
    await ctx.drain();
    expect(sink.received.filter((m) => m.to.includes(customer.email))).toEqual([]);
    const { rows } = await ctx.db.query<{ status: string }>('SELECT status FROM notification_deliveries WHERE notification_id = $1', [raised.id]);
    expect(rows).toEqual([{ status: 'cancelled' }]);
  });
}, { SMTP_URL: sink.url, SIMKEEP_MAIL_FROM: MAIL_FROM });
