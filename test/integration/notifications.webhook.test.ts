// Signed webhooks: a receiver on loopback (allowed by SIMKEEP_WEBHOOK_ALLOW_PRIVATE=1) gets
// `{id, kind, createdAt, data}` signed with the secret shown once; a failing receiver is retried
// with backoff, then the delivery is failed and visible to operators. Without the flag, URLs that
// reach loopback, private or link-local addresses are refused when saved and again at delivery.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { closeServer, listenOnLoopback } from '../support/loopback.ts';
import { raise } from '../support/notifications.ts';

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const hits: Hit[] = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    hits.push({ path: req.url ?? '', headers: req.headers, body });
    res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
    res.end(req.url?.startsWith('/fail') ? 'receiver broken' : 'ok');
  });
});
const receiverUrl = await listenOnLoopback(receiver);
afterAll(() => closeServer(receiver));

let serial = 0;
const nextPath = (prefix: 'ok' | 'fail'): string => `/${prefix}/${++serial}`;

/** The receiver's side: the signature over "<t>.<body>" under the secret. */
function verifySignature(header: string | string[] | undefined, body: string, secret: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!match?.[1] || !match[2]) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${body}`).digest();
  const age = Math.abs(Date.now() / 1000 - Number(match[1]));
  return age < 300 && timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

async function withWebhook(ctx: TestContext, path: string): Promise<{ customer: Awaited<ReturnType<TestContext['customer']>>; secret: string }> {
  const customer = await ctx.customer();
  const r = await ctx.patch('/api/v1/me/notification-settings', { webhook: { url: `${receiverUrl}${path}` } }, { token: customer.token });
  expect(r.status).toBe(200);
  return { customer, secret: r.json.webhook.secret as string };
}

forEachDatabase('notifications by webhook', (get) => {
  it('POSTs {id, kind, createdAt, data} signed with the secret shown once', async () => {
    const ctx = get();
    const path = nextPath('ok');
    const { customer, secret } = await withWebhook(ctx, path);
    expect(secret).toMatch(/^whsec_/);
    const settings = await ctx.get('/api/v1/me/notification-settings', { token: customer.token });
    expect(settings.json).toEqual({ email: true, webhook: { url: `${receiverUrl}${path}`, enabled: true }, muted: [] });
    // Changing something else shows no secret again.
    const again = await ctx.patch('/api/v1/me/notification-settings', { webhook: { url: `${receiverUrl}${path}`, enabled: true } }, { token: customer.token });
    expect(again.json.webhook).toEqual({ url: `${receiverUrl}${path}`, enabled: true });

    const raised = await raise(ctx, { userId: customer.user.id, kind: 'refund_issued', orderId: 'ord_hook', data: { amount: { amount: 990, currency: 'USD' } } });
    await ctx.drain();
    const got = hits.filter((h) => h.path === path);
    expect(got).toHaveLength(1);
    const hit = got[0] as Hit;
    expect(hit.headers['content-type']).toBe('application/json');
    expect(verifySignature(hit.headers['simkeep-signature'], hit.body, secret)).toBe(true);
    expect(verifySignature(hit.headers['simkeep-signature'], hit.body, 'whsec_wrong')).toBe(false);
    const body = JSON.parse(hit.body) as { id: string; kind: string; createdAt: string; data: Record<string, unknown> };
    expect(body).toEqual({
      id: raised.id, kind: 'refund_issued', createdAt: expect.any(String),
      data: expect.objectContaining({ amount: { amount: 990, currency: 'USD' }, orderId: 'ord_hook', title: 'Refund issued' }),
    });
    const { rows } = await ctx.db.query<{ status: string }>(`SELECT status FROM notification_deliveries WHERE notification_id = $1 AND channel = 'webhook'`, [raised.id]);
    expect(rows).toEqual([{ status: 'sent' }]);
    const stored = await ctx.db.query<{ webhook_secret_enc: string }>('SELECT webhook_secret_enc FROM notification_settings WHERE user_id = $1', [customer.user.id]);
    expect(stored.rows[0]?.webhook_secret_enc).not.toContain(secret);
  });

  it('retries a failing receiver with backoff, then marks the delivery failed for operators', async () => {
    const ctx = get();
    const path = nextPath('fail');
    const { customer } = await withWebhook(ctx, path);
    const raised = await raise(ctx, { userId: customer.user.id });
    await ctx.drain();
    expect(hits.filter((h) => h.path === path)).toHaveLength(1);
    for (let i = 0; i < 10; i++) await ctx.advance(60);
    expect(hits.filter((h) => h.path === path)).toHaveLength(5);
    const admin = await ctx.adminToken();
    const failed = await ctx.get('/api/v1/admin/notifications/deliveries?status=failed', { token: admin });
    expect(failed.status).toBe(200);
    expect(failed.json.items).toContainEqual(expect.objectContaining({
      notificationId: raised.id, userId: customer.user.id, channel: 'webhook', status: 'failed', attempts: 5, lastError: expect.stringContaining('500'),
    }));
    expect((await ctx.get('/api/v1/admin/notifications/deliveries', { token: customer.token })).status).toBe(403);
  });

  it('calls no webhook once it is removed', async () => {
    const ctx = get();
    const path = nextPath('ok');
    const { customer } = await withWebhook(ctx, path);
    const removed = await ctx.patch('/api/v1/me/notification-settings', { webhook: null }, { token: customer.token });
    expect(removed.json.webhook).toBeNull();
    await raise(ctx, { userId: customer.user.id });
    await ctx.drain();
    expect(hits.filter((h) => h.path === path)).toEqual([]);
  });
}, { SIMKEEP_WEBHOOK_ALLOW_PRIVATE: '1' });

forEachDatabase('webhook URLs that reach inside (SSRF)', (get) => {
  it.each([
    'http://127.0.0.1:8080/hook', 'http://10.0.0.7/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook', 'http://[fe80::1]/hook', 'http://192.168.1.1/hook', 'http://localhost:3000/hook',
    'https://user:pass@example.com/hook', 'ftp://example.com/hook', 'not a url',
  ])('refuses %s with 422 webhook_url_not_allowed', async (url) => {
    const ctx = get();
    const customer = await ctx.customer();
    const r = await ctx.patch('/api/v1/me/notification-settings', { webhook: { url } }, { token: customer.token });
    expect(r.status).toBe(422);
    expect(r.json.code).toBe('webhook_url_not_allowed');
    expect((await ctx.get('/api/v1/me/notification-settings', { token: customer.token })).json.webhook).toBeNull();
  });

  it('checks the address again at delivery: a saved URL that now reaches loopback is not called', async () => {
    const ctx = get();
    const customer = await ctx.customer();
    const saved = await ctx.patch('/api/v1/me/notification-settings', { webhook: { url: 'http://93.184.215.14/hook' } }, { token: customer.token });
    expect(saved.status).toBe(200);
    // What a DNS change would do: the saved name now resolves to this machine (checked in the socket's own lookup).
    const path = nextPath('ok');
    const viaName = `${receiverUrl.replace('127.0.0.1', 'localhost')}${path}`;
    await ctx.db.query('UPDATE notification_settings SET webhook_url = $2 WHERE user_id = $1', [customer.user.id, viaName]);
    const raised = await raise(ctx, { userId: customer.user.id });
    await ctx.drain();
    expect(hits.filter((h) => h.path === path)).toEqual([]);
    const { rows } = await ctx.db.query<{ last_error: string }>(
      `SELECT last_error FROM notification_deliveries WHERE notification_id = $1 AND channel = 'webhook'`, [raised.id],
    );
    expect(rows[0]?.last_error).toMatch(/not public|non-public/);
  });
});
