// The HTTP/JSON carrier (docs/carrier-http.md) against a fake carrier on 127.0.0.1 that checks our
// signatures with its own code: synchronous answers, 202 + signed callback, forged and repeated
// callbacks, a lost callback settled by the status query, a carrier that cannot be reached (order
// failed, refunded, subscriber told), and the operator's settings (validation, roles, audit, no secret shown).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { closeServer, closedLoopbackUrl, listenOnLoopback } from '../support/loopback.ts';
import { buyer, expectLedgerSound, order, paySandbox, plainPlan, type Buyer } from '../support/orders-fixtures.ts';

const SECRET = 'carrier-shared-secret-0123456789';
const CARRIER = 'us-paygo';

/** The carrier's side of the signature, written from the protocol document rather than our code. */
function sign(secret: string, body: string, atSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${atSeconds},v1=${createHmac('sha256', secret).update(`${atSeconds}.${body}`).digest('hex')}`;
}

function signatureValid(header: string | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match?.[1] || !match[2]) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${body}`).digest();
  const fresh = Math.abs(Date.now() / 1000 - Number(match[1])) <= 300;
  return fresh && timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

type CarrierState = 'accepted' | 'done' | 'failed';

/** A carrier that dedupes by request id and answers at once (`sync`) or later (`async`). */
class FakeCarrier {
  mode: 'sync' | 'async' = 'sync';
  readonly states = new Map<string, CarrierState>();
  readonly seen: Array<{ method: string; path: string; requestId: string | undefined; signed: boolean; body: string }> = [];
  readonly server: Server = createServer((req, res) => void this.handle(req, res));

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const requestId = req.headers['simkeep-request-id'] as string | undefined;
    const signed = signatureValid(req.headers['simkeep-signature'] as string | undefined, body);
    this.seen.push({ method: req.method ?? '', path: req.url ?? '', requestId, signed, body });
    const answer = (status: number, json: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    if (!signed || !requestId) return answer(401, { error: 'bad signature' });
    if (req.method === 'POST' && req.url === '/requests') {
      if ((JSON.parse(body) as { requestId: string }).requestId !== requestId) return answer(400, { error: 'request id mismatch' });
      if (!this.states.has(requestId)) this.states.set(requestId, this.mode === 'sync' ? 'done' : 'accepted');
      return this.answerState(requestId, answer);
    }
    if (req.method === 'GET' && req.url === `/requests/${encodeURIComponent(requestId)}`) {
      if (!this.states.has(requestId)) return answer(404, { error: 'unknown request' });
      return this.answerState(requestId, answer);
    }
    answer(404, { error: 'no such endpoint' });
  }

  private answerState(requestId: string, answer: (status: number, json: unknown) => void): void {
    const state = this.states.get(requestId) ?? 'accepted';
    answer(state === 'accepted' ? 202 : 200, { status: state, reference: `fc-${requestId}` });
  }

  requestsFor(orderId: string): Array<{ method: string; signed: boolean }> {
    return this.seen.filter((s) => s.requestId === orderId);
  }
}

const carrier = new FakeCarrier();
let carrierUrl = '';
beforeAll(async () => {
  carrierUrl = await listenOnLoopback(carrier.server);
});
afterAll(async () => {
  await closeServer(carrier.server);
});

async function useHttpCarrier(ctx: TestContext, baseUrl: string): Promise<void> {
  const r = await ctx.patch(`/api/v1/admin/carriers/${CARRIER}`, { adapter: 'http_json', baseUrl, secret: SECRET, timeoutMs: 2_000 }, { token: await ctx.adminToken() });
  expect(r.status, r.text).toBe(200);
}

async function paidOrder(ctx: TestContext, b?: Buyer): Promise<{ b: Buyer; orderId: string; paymentId: string }> {
  const who = b ?? (await buyer(ctx));
  const plan = await plainPlan(ctx, 500);
  const created = await order(ctx, who, { planId: plan.id, paymentMethod: 'card' });
  expect(created.status, created.text).toBe(201);
  await paySandbox(ctx, created.json.payment.id);
  return { b: who, orderId: created.json.id, paymentId: created.json.payment.id };
}

async function statusOf(ctx: TestContext, b: Buyer, orderId: string): Promise<string> {
  return (await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.status;
}

function callback(ctx: TestContext, body: Record<string, unknown>, signature?: string) {
  const raw = JSON.stringify(body);
  return ctx.call('POST', `/api/v1/carriers/${CARRIER}/callbacks`, {
    raw, headers: { 'content-type': 'application/json', 'simkeep-signature': signature ?? sign(SECRET, raw) },
  });
}

async function noticeKinds(ctx: TestContext, b: Buyer, orderId: string): Promise<string[]> {
  const r = await ctx.get('/api/v1/notifications', { token: b.token });
  return (r.json.items as Array<{ kind: string; orderId?: string | null }>).filter((n) => n.orderId === orderId).map((n) => n.kind).reverse();
}

forEachDatabase('the HTTP/JSON carrier', (get) => {
  it('provisions at once when the carrier answers done: one signed request whose id is the order id', async () => {
    const ctx = get();
    await useHttpCarrier(ctx, carrierUrl);
    carrier.mode = 'sync';
    const { b, orderId } = await paidOrder(ctx);
    expect(await statusOf(ctx, b, orderId)).toBe('completed');
    const sent = carrier.seen.filter((s) => s.requestId === orderId);
    expect(sent.map((s) => [s.method, s.path, s.signed])).toEqual([['POST', '/requests', true]]);
    expect(JSON.parse(sent[0]?.body ?? '{}')).toMatchObject({ requestId: orderId, kind: 'plan', callbackUrl: expect.stringMatching(/\/api\/v1\/carriers\/us-paygo\/callbacks$/) });
    expect((await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token })).json.status).toBe('active');
  });

  it('waits on a 202 and completes the order on the signed callback; a repeated callback takes effect once', async () => {
    const ctx = get();
    await useHttpCarrier(ctx, carrierUrl);
    carrier.mode = 'async';
    const { b, orderId } = await paidOrder(ctx);
    expect(await statusOf(ctx, b, orderId)).toBe('provisioning');
    const body = { callbackId: `cb-${randomUUID()}`, requestId: orderId, status: 'done', reference: 'fc-ref-1' };
    const first = await callback(ctx, body);
    expect([first.status, first.json.outcome], first.text).toEqual([200, 'completed']);
    expect(await statusOf(ctx, b, orderId)).toBe('completed');
    const again = await callback(ctx, body);
    expect([again.status, again.json.outcome]).toEqual([200, 'duplicate']);
    // Another callback id about the same finished request changes nothing either.
    const late = await callback(ctx, { ...body, callbackId: `cb-${randomUUID()}` });
    expect(late.json.outcome).toBe('ignored');
    await ctx.advance(3_600); // the status query, if still scheduled, finds nothing to do
    expect(await noticeKinds(ctx, b, orderId)).toEqual(['order_completed']);
    expect(carrier.requestsFor(orderId).map((s) => s.method)).toEqual(['POST']);
    const events = (await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token })).json.events.map((e: { status: string }) => e.status);
    expect(events).toEqual(['awaiting_payment', 'paid', 'provisioning', 'completed']);
  });

  it('answers a forged, tampered, stale or unsigned callback 400 and changes nothing', async () => {
    const ctx = get();
    await useHttpCarrier(ctx, carrierUrl);
    carrier.mode = 'async';
    const { b, orderId } = await paidOrder(ctx);
    const body = { callbackId: `cb-${randomUUID()}`, requestId: orderId, status: 'done' };
    const raw = JSON.stringify(body);
    const attempts = [
      sign('not-the-carrier-secret-at-all!!', raw),
      sign(SECRET, JSON.stringify({ ...body, status: 'failed' })),
      sign(SECRET, raw, Math.floor(Date.now() / 1000) - 3_600),
      '',
    ];
    for (const signature of attempts) {
      const r = await callback(ctx, body, signature);
      expect([r.status, r.json.code], r.text).toEqual([400, 'invalid_signature']);
    }
    expect(await statusOf(ctx, b, orderId)).toBe('provisioning');
    const stored = await ctx.db.query('SELECT 1 FROM carrier_callbacks WHERE request_id = $1', [orderId]);
    expect(stored.rows).toEqual([]);
    // Correctly signed but not the protocol's body: refused as well.
    const junk = JSON.stringify({ hello: 'world' });
    const r = await ctx.call('POST', `/api/v1/carriers/${CARRIER}/callbacks`, { raw: junk, headers: { 'content-type': 'application/json', 'simkeep-signature': sign(SECRET, junk) } });
    expect([r.status, r.json.code]).toEqual([400, 'invalid_callback']);
    // The genuine callback still works afterwards.
    expect((await callback(ctx, body)).json.outcome).toBe('completed');
  });

  it('settles through the status query when the callback never arrives', async () => {
    const ctx = get();
    await useHttpCarrier(ctx, carrierUrl);
    carrier.mode = 'async';
    const { b, orderId } = await paidOrder(ctx);
    await ctx.advance(61); // the carrier still works on it: the query answers accepted, asked again later
    expect(await statusOf(ctx, b, orderId)).toBe('provisioning');
    carrier.states.set(orderId, 'done');
    await ctx.advance(120);
    expect(await statusOf(ctx, b, orderId)).toBe('completed');
    const sent = carrier.requestsFor(orderId);
    expect(sent[0]?.method).toBe('POST');
    expect(sent.slice(1).every((s) => s.method === 'GET' && s.signed)).toBe(true);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(await noticeKinds(ctx, b, orderId)).toEqual(['order_completed']);
  });

  it('refunds an order the carrier refuses in its callback', async () => {
    const ctx = get();
    await useHttpCarrier(ctx, carrierUrl);
    carrier.mode = 'async';
    const { b, orderId } = await paidOrder(ctx);
    const r = await callback(ctx, { callbackId: `cb-${randomUUID()}`, requestId: orderId, status: 'failed', reason: 'number ported out' });
    expect(r.json.outcome, r.text).toBe('failed');
    await ctx.drain();
    expect(await statusOf(ctx, b, orderId)).toBe('refunded');
    expect(await noticeKinds(ctx, b, orderId)).toEqual(['order_failed', 'refund_issued']);
    await expectLedgerSound(ctx);
  });

  it('retries a carrier that cannot be reached, then fails the order, refunds it and tells the subscriber', async () => {
    const ctx = get();
    await useHttpCarrier(ctx, await closedLoopbackUrl());
    const { b, orderId, paymentId } = await paidOrder(ctx);
    expect(await statusOf(ctx, b, orderId)).toBe('provisioning');
    const attempts = async (): Promise<number> =>
      (await ctx.db.query<{ n: number }>("SELECT attempts AS n FROM jobs WHERE dedupe_key = $1", [`provision:${orderId}`])).rows[0]?.n ?? 0;
    await ctx.advance(10);
    expect(await attempts()).toBeGreaterThan(1);
    expect(await statusOf(ctx, b, orderId)).toBe('provisioning');
    for (let i = 0; i < 10; i++) await ctx.advance(70);
    const view = await ctx.get(`/api/v1/orders/${orderId}`, { token: b.token });
    expect([view.json.status, view.json.payment.status]).toEqual(['refunded', 'refunded']);
    expect(view.json.events.map((e: { status: string }) => e.status)).toEqual(['awaiting_payment', 'paid', 'provisioning', 'failed', 'refunded']);
    const sbx = await ctx.db.query<{ r: number }>('SELECT refunded_minor AS r FROM sandbox_payments WHERE payment_id = $1', [paymentId]);
    expect(sbx.rows[0]?.r).toBe(500);
    expect(await noticeKinds(ctx, b, orderId)).toEqual(['order_failed', 'refund_issued']);
    await expectLedgerSound(ctx);
  });
});

forEachDatabase('an operator configuring a carrier adapter', (get) => {
  it('lists each carrier with its adapter, simulated by default, never its secret', async () => {
    const ctx = get();
    const admin = await ctx.adminToken();
    const before = await ctx.get('/api/v1/admin/carriers', { token: admin });
    expect(before.json.items.find((c: { code: string }) => c.code === 'uk-keep')).toMatchObject({ adapter: 'simulated', baseUrl: null, secretSet: false, validityDays: expect.any(Number) });
    const r = await ctx.patch('/api/v1/admin/carriers/uk-keep', { adapter: 'http_json', baseUrl: 'https://carrier.example/api', secret: SECRET }, { token: admin });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ code: 'uk-keep', adapter: 'http_json', baseUrl: 'https://carrier.example/api', secretSet: true, timeoutMs: 10_000 });
    const listed = await ctx.get('/api/v1/admin/carriers', { token: admin });
    expect(listed.text).not.toContain(SECRET);
    expect(listed.json.items.find((c: { code: string }) => c.code === 'uk-keep').adapter).toBe('http_json');
    const stored = await ctx.db.query<{ secret_enc: string }>("SELECT secret_enc FROM carrier_adapters WHERE carrier_code = 'uk-keep'");
    expect(stored.rows[0]?.secret_enc).toMatch(/^v1:/);
    expect(stored.rows[0]?.secret_enc).not.toContain(SECRET);
    const audit = await ctx.get('/api/v1/admin/audit?target=uk-keep', { token: admin });
    expect(audit.json.items.some((e: { action: string }) => e.action === 'carrier.adapter_update')).toBe(true);
    expect(audit.text).not.toContain(SECRET);
    // Back to simulated: the secret is kept (callbacks of requests in flight still verify).
    const back = await ctx.patch('/api/v1/admin/carriers/uk-keep', { adapter: 'simulated' }, { token: admin });
    expect(back.json).toMatchObject({ adapter: 'simulated', secretSet: true });
  });

  it('refuses a URL that is not https (but for loopback), an incomplete http_json and an unknown carrier, changing nothing', async () => {
    const ctx = get();
    const admin = await ctx.adminToken();
    for (const baseUrl of ['http://carrier.example/api', 'ftp://carrier.example', 'https://user:pw@carrier.example', 'https://carrier.example/?q=1', 'not a url']) {
      const r = await ctx.patch('/api/v1/admin/carriers/travel-esim', { adapter: 'http_json', baseUrl, secret: SECRET }, { token: admin });
      expect([r.status, r.json.code], baseUrl).toEqual([422, 'carrier_url_not_allowed']);
    }
    const incomplete = await ctx.patch('/api/v1/admin/carriers/travel-esim', { adapter: 'http_json', baseUrl: 'https://carrier.example' }, { token: admin });
    expect([incomplete.status, incomplete.json.code]).toEqual([422, 'carrier_adapter_incomplete']);
    const shortSecret = await ctx.patch('/api/v1/admin/carriers/travel-esim', { secret: 'short' }, { token: admin });
    expect(shortSecret.status).toBe(400);
    const unknown = await ctx.patch('/api/v1/admin/carriers/no-such-carrier', { adapter: 'simulated' }, { token: admin });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'carrier_not_found']);
    const listed = await ctx.get('/api/v1/admin/carriers', { token: admin });
    expect(listed.json.items.find((c: { code: string }) => c.code === 'travel-esim')).toMatchObject({ adapter: 'simulated', secretSet: false });
    const ok = await ctx.patch('/api/v1/admin/carriers/travel-esim', { adapter: 'http_json', baseUrl: 'http://127.0.0.1:9/carrier', secret: SECRET }, { token: admin });
    expect(ok.status, ok.text).toBe(200);
  });

  it('is for operators and admins: a carrier token or a subscriber gets 403, a stranger 401', async () => {
    const ctx = get();
    const admin = await ctx.adminToken();
    const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Carrier feed', role: 'carrier' }, { token: admin });
    expect(created.status, created.text).toBe(201);
    const customer = await ctx.customer();
    const body = { adapter: 'simulated' };
    for (const token of [created.json.token as string, customer.token]) {
      expect((await ctx.patch('/api/v1/admin/carriers/us-paygo', body, { token })).status).toBe(403);
      expect((await ctx.get('/api/v1/admin/carriers', { token })).status).toBe(403);
    }
    expect((await ctx.patch('/api/v1/admin/carriers/us-paygo', body)).status).toBe(401);
  });
});
