// Stripe saved cards and off-session renewal charges end to end, offline: the app's real Stripe
// adapter talks (STRIPE_API_BASE_URL) to a stand-in of Stripe's API on 127.0.0.1 that keeps
// Customers, Checkout Sessions, SetupIntents and PaymentIntents — replaying a PaymentIntent for a
// repeated Idempotency-Key as Stripe does, and refusing a key reused with another card — and every webhook is signed with the SDK's own helper.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renewalsOfLine } from '../../src/modules/renewals/service.ts';
import { bindLine } from '../support/catalog-fixtures.ts';
import { forEachDatabase, randomClientAddress, type TestContext } from '../support/harness.ts';
import { closeServer, listenOnLoopback } from '../support/loopback.ts';
import { expectLedgerSound, order, paySandbox, paymentJournals, plainPlan, walletOf, type Buyer } from '../support/orders-fixtures.ts';

const STRIPE_WEBHOOK_SECRET = 'whsec_test_saved_cards';
const DAY_S = 86_400;
const env: Record<string, string> = { STRIPE_SECRET_KEY: 'sk_test_saved_cards', STRIPE_WEBHOOK_SECRET };

/** Cards the stand-in's save page "takes" next, by how Stripe's test cards behave off-session. */
type TestCard = 'pm_card_visa' | 'pm_card_declines' | 'pm_card_authentication';

interface StandIn {
  customers: string[];
  sessions: Map<string, Record<string, string>>;
  setupIntents: Map<string, { customer: string; paymentMethod: string; setupId: string }>;
  /** Every PaymentIntent create request, by its Idempotency-Key. */
  intentRequests: string[];
  /** The card (payment_method) of every PaymentIntent create request, in order. */
  intentCards: string[];
  /** Answers replayed for a repeated Idempotency-Key, with the card the key was first used with. */
  intentAnswers: Map<string, { status: number; body: unknown; card: string }>;
  intentsCreated: number;
  nextCard: TestCard;
  /** Once: the PaymentIntent is made, then the connection drops before the answer (a lost reply). */
  loseNextAnswer: boolean;
}

const stripe: StandIn = {
  customers: [], sessions: new Map(), setupIntents: new Map(), intentRequests: [], intentCards: [], intentAnswers: new Map(),
  intentsCreated: 0, nextCard: 'pm_card_visa', loseNextAnswer: false,
};
let api: Server;

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

const missing = { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such object' } };

function createSession(form: URLSearchParams): Record<string, unknown> {
  const id = `cs_test_${stripe.sessions.size + 1}_${randomUUID().slice(0, 8)}`;
  const fields: Record<string, string> = {};
  for (const [k, v] of form) fields[k] = v;
  stripe.sessions.set(id, fields);
  const session: Record<string, unknown> = { id, object: 'checkout.session', mode: form.get('mode'), url: `https://checkout.stripe.test/${id}`, customer: form.get('customer') };
  if (form.get('mode') === 'setup') {
    const setupIntent = `seti_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    stripe.setupIntents.set(setupIntent, { customer: form.get('customer') ?? '', paymentMethod: stripe.nextCard, setupId: form.get('client_reference_id') ?? '' });
    fields['setup_intent'] = setupIntent;
  }
  return session;
}

function setupIntentJson(id: string): Record<string, unknown> | null {
  const s = stripe.setupIntents.get(id);
  if (!s) return null;
  return {
    id, object: 'setup_intent', status: 'succeeded', customer: s.customer, metadata: { setupId: s.setupId },
    payment_method: { id: s.paymentMethod, object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 } },
  };
}

function createIntent(form: URLSearchParams): { status: number; body: unknown; card: string } {
  stripe.intentsCreated++;
  const id = `pi_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const base = { id, object: 'payment_intent', amount: Number(form.get('amount')), currency: form.get('currency'), metadata: { paymentId: form.get('metadata[paymentId]'), orderId: form.get('metadata[orderId]') } };
  const method = form.get('payment_method');
  const card = method ?? '';
  if (method === 'pm_card_visa') return { status: 200, body: { ...base, status: 'succeeded', amount_received: base.amount }, card };
  const code = method === 'pm_card_authentication' ? 'authentication_required' : 'card_declined';
  const intent = { ...base, status: 'requires_payment_method' };
  return { status: 402, body: { error: { type: 'card_error', code, message: `The card was refused: ${code}`, payment_intent: intent } }, card };
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const form = new URLSearchParams(body);
  if (req.method === 'POST' && path === '/v1/customers') {
    const id = `cus_${randomUUID().replace(/-/g, '').slice(0, 14)}`;
    stripe.customers.push(id);
    return answer(res, 200, { id, object: 'customer', metadata: { userId: form.get('metadata[userId]') } });
  }
  if (req.method === 'POST' && path === '/v1/checkout/sessions') return answer(res, 200, createSession(form));
  const setupIntent = /^\/v1\/setup_intents\/([^/]+)$/.exec(path)?.[1];
  if (req.method === 'GET' && setupIntent) {
    const found = setupIntentJson(setupIntent);
    return found ? answer(res, 200, found) : answer(res, 404, missing);
  }
  if (req.method === 'POST' && path === '/v1/payment_intents') {
    const key = String(req.headers['idempotency-key'] ?? '');
    stripe.intentRequests.push(key);
    stripe.intentCards.push(form.get('payment_method') ?? '');
    const earlier = stripe.intentAnswers.get(key);
    if (earlier && earlier.card !== form.get('payment_method')) {
      return answer(res, 400, { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } });
    }
    const made = earlier ?? createIntent(form);
    stripe.intentAnswers.set(key, made);
    if (stripe.loseNextAnswer) {
      stripe.loseNextAnswer = false;
      req.socket.destroy();
      return;
    }
    return answer(res, made.status, made.body);
  }
  answer(res, 404, missing);
}

beforeAll(async () => {
  api = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handle(req, res, body));
  });
  // Read by the app when the suite's app starts (forEachDatabase's beforeAll runs after this one).
  env.STRIPE_API_BASE_URL = await listenOnLoopback(api);
});
afterAll(() => closeServer(api));

async function send(ctx: TestContext, type: string, object: Record<string, unknown>, eventId = `evt_${randomUUID().replace(/-/g, '')}`) {
  const payload = JSON.stringify({ id: eventId, object: 'event', type, api_version: '2025-01-27', data: { object } });
  const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET });
  return ctx.call('POST', '/api/v1/webhooks/stripe', { raw: payload, headers: { 'content-type': 'application/json', 'stripe-signature': header } });
}

interface Subscriber extends Buyer {
  email: string;
  password: string;
}

async function subscriber(ctx: TestContext): Promise<Subscriber> {
  const c = await ctx.customer();
  const line = await bindLine(ctx, c.token);
  return { token: c.token, userId: c.user.id, lineId: line.id, email: c.email, password: c.password };
}

/** Opens a setup through the API; answers the Checkout Session the stand-in recorded for it. */
async function openSetup(ctx: TestContext, b: Subscriber): Promise<{ url: string; session: Record<string, string> }> {
  const started = await ctx.post('/api/v1/payment-methods', { paymentMethod: 'card' }, { token: b.token });
  expect(started.status, started.text).toBe(201);
  const url: string = started.json.action.url;
  const session = stripe.sessions.get(url.split('/').pop() ?? '');
  expect(session).toBeDefined();
  return { url, session: session as Record<string, string> };
}

/** The customer finished Stripe's page: Stripe's checkout.session.completed for the setup. */
function completedSetup(session: Record<string, string>): Record<string, unknown> {
  return {
    id: `cs_${session['setup_intent']}`, object: 'checkout.session', mode: 'setup', status: 'complete', payment_status: 'no_payment_required',
    customer: session['customer'], client_reference_id: session['client_reference_id'], metadata: { setupId: session['metadata[setupId]'] },
    setup_intent: session['setup_intent'],
  };
}

async function saveStripeCard(ctx: TestContext, b: Subscriber, card: TestCard = 'pm_card_visa'): Promise<void> {
  stripe.nextCard = card;
  const { session } = await openSetup(ctx, b);
  const r = await send(ctx, 'checkout.session.completed', completedSetup(session));
  expect(r.status, r.text).toBe(200);
}

async function advance(ctx: TestContext, b: Subscriber, seconds: number): Promise<void> {
  await ctx.advance(seconds);
  const r = await ctx.post('/api/v1/auth/login', { email: b.email, password: b.password }, { remoteAddress: randomClientAddress() });
  expect(r.status, r.text).toBe(200);
  b.token = r.json.token;
}

async function expiresAt(ctx: TestContext, b: Subscriber): Promise<number> {
  return Date.parse((await ctx.get(`/api/v1/lines/${b.lineId}`, { token: b.token })).json.expiresAt);
}

/** A line on a 30-day plan with auto-renew on and an empty wallet (the plan was bought through the sandbox's PayPal). */
async function renewingLine(ctx: TestContext, card: TestCard): Promise<Subscriber> {
  const b = await subscriber(ctx);
  const plan = await plainPlan(ctx, 500, { validityDays: 30, autoRenewable: true });
  const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'paypal' });
  expect(first.status, first.text).toBe(201);
  await paySandbox(ctx, first.json.payment.id);
  const patched = await ctx.patch(`/api/v1/lines/${b.lineId}`, { autoRenew: { enabled: true, planId: plan.id } }, { token: b.token });
  expect(patched.status, patched.text).toBe(200);
  await saveStripeCard(ctx, b, card);
  expect(await walletOf(ctx, b)).toBe(0);
  return b;
}

/** To the notice (3 days before expiry), then to the charge (2 days before). */
async function toTheCharge(ctx: TestContext, b: Subscriber): Promise<void> {
  const now = Date.parse((await ctx.get('/api/v1/sandbox/clock')).json.now);
  await advance(ctx, b, Math.ceil((await expiresAt(ctx, b) - now) / 1000) - 3 * DAY_S + 60);
  await advance(ctx, b, DAY_S);
}

async function renewalNotices(ctx: TestContext, b: Subscriber): Promise<Array<{ kind: string; body: string }>> {
  const r = await ctx.get(`/api/v1/notifications?lineId=${b.lineId}`, { token: b.token });
  return (r.json.items as Array<{ kind: string; body: string }>).filter((n) => n.kind.startsWith('renewal_')).reverse();
}

forEachDatabase('Stripe saved cards and off-session renewals (loopback Stripe)', (get) => {
  it('saves a card through Checkout in setup mode once per setup, the first as default, reusing the Customer', async () => {
    const ctx = get();
    const b = await subscriber(ctx);
    const customersBefore = stripe.customers.length;
    const { url, session } = await openSetup(ctx, b);
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.test\/cs_test_/);
    expect(session).toMatchObject({ mode: 'setup', success_url: `${ctx.app.deps.publicUrl()}/payment-methods?saved=1`, 'metadata[setupId]': session['client_reference_id'] });
    expect(stripe.customers.length).toBe(customersBefore + 1);
    expect(session['customer']).toBe(stripe.customers.at(-1));

    const event = completedSetup(session);
    const eventId = `evt_${randomUUID().replace(/-/g, '')}`;
    expect((await send(ctx, 'checkout.session.completed', event, eventId)).status).toBe(200);
    // The same event again, and Stripe's setup_intent.succeeded for the same setup: nothing more.
    expect((await send(ctx, 'checkout.session.completed', event, eventId)).status).toBe(200);
    const intent = { id: session['setup_intent'], object: 'setup_intent', status: 'succeeded', metadata: { setupId: session['client_reference_id'] } };
    expect((await send(ctx, 'setup_intent.succeeded', intent)).status).toBe(200);
    const list = await ctx.get('/api/v1/payment-methods', { token: b.token });
    expect(list.json.items).toEqual([expect.objectContaining({ provider: 'stripe', brand: 'visa', last4: '4242', expiresAt: '2030-12-31T23:59:59.000Z', isDefault: true })]);
    expect(list.text).not.toMatch(/cus_|pm_card/);
    const outcomes = await ctx.db.query<{ outcome: string }>("SELECT outcome FROM payment_events WHERE provider = 'stripe' AND summary->>'setupId' = $1 ORDER BY received_at", [session['client_reference_id']]);
    expect(outcomes.rows.map((r) => r.outcome)).toEqual(['method_saved', 'setup_already_completed']);

    // A second card: the same Customer, not the default.
    stripe.nextCard = 'pm_card_declines';
    const second = await openSetup(ctx, b);
    expect(stripe.customers.length).toBe(customersBefore + 1);
    expect(second.session['customer']).toBe(session['customer']);
    expect((await send(ctx, 'checkout.session.completed', completedSetup(second.session))).status).toBe(200);
    const both = await ctx.get('/api/v1/payment-methods', { token: b.token });
    expect(both.json.items.map((m: { isDefault: boolean }) => m.isDefault)).toEqual([true, false]);

    // A forged event saves nothing.
    const forged = await ctx.call('POST', '/api/v1/webhooks/stripe', {
      raw: JSON.stringify({ id: 'evt_forged', type: 'checkout.session.completed', data: { object: event } }),
      headers: { 'content-type': 'application/json', 'stripe-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
    });
    expect(forged.status).toBe(400);
    expect((await ctx.get('/api/v1/payment-methods', { token: b.token })).json.items).toHaveLength(2);
  });

  it('charges a renewal off-session once, though the first answer was lost and the job ran again', async () => {
    const ctx = get();
    const b = await renewingLine(ctx, 'pm_card_visa');
    const requestsBefore = stripe.intentRequests.length;
    const createdBefore = stripe.intentsCreated;
    stripe.loseNextAnswer = true;
    await toTheCharge(ctx, b);
    let [renewal] = await renewalsOfLine(ctx.db, b.lineId);
    // Stripe made the charge but simkeep never heard: the renewal waits for a retry of the same charge.
    expect(renewal).toMatchObject({ status: 'scheduled', path: 'saved_method' });
    expect(stripe.intentsCreated).toBe(createdBefore + 1);
    // Money reaching the wallet meanwhile must not pay the renewal a second time.
    const topup = await order(ctx, b, { topupAmount: { amount: 500, currency: 'USD' }, paymentMethod: 'paypal' });
    expect(topup.status, topup.text).toBe(201);
    await paySandbox(ctx, topup.json.payment.id);
    expect(await walletOf(ctx, b)).toBe(500);
    // (The top-up is a recharge: it moved the expiry itself; the renewal adds its 30 days to that.)
    const before = await expiresAt(ctx, b);

    await advance(ctx, b, 16 * 60);
    await advance(ctx, b, 60);
    const keys = stripe.intentRequests.slice(requestsBefore);
    expect(keys).toEqual([`renewal-${renewal?.id}`, `renewal-${renewal?.id}`]);
    expect(stripe.intentsCreated).toBe(createdBefore + 1);
    [renewal] = await renewalsOfLine(ctx.db, b.lineId);
    expect(renewal?.status).toBe('pending');

    // Stripe's payment_intent.succeeded settles it; delivered twice, it counts once.
    const payment = await ctx.db.query<{ id: string; provider: string; provider_ref: string; order_id: string }>(
      'SELECT id, provider, provider_ref, order_id FROM payments WHERE order_id = $1', [renewal?.orderId],
    );
    const pay = payment.rows[0];
    expect(pay).toMatchObject({ provider: 'stripe', provider_ref: expect.stringMatching(/^pi_/) });
    const intent = { id: pay?.provider_ref, object: 'payment_intent', status: 'succeeded', amount_received: 500, currency: 'usd', metadata: { paymentId: pay?.id, orderId: pay?.order_id } };
    const eventId = `evt_${randomUUID().replace(/-/g, '')}`;
    expect((await send(ctx, 'payment_intent.succeeded', intent, eventId)).status).toBe(200);
    expect((await send(ctx, 'payment_intent.succeeded', intent, eventId)).status).toBe(200);
    await advance(ctx, b, 60);
    expect((await renewalsOfLine(ctx.db, b.lineId)).map((r) => [r.status, r.path])).toEqual([['succeeded', 'saved_method']]);
    expect((await renewalNotices(ctx, b)).map((n) => n.kind)).toEqual(['renewal_upcoming', 'renewal_succeeded']);
    expect(await expiresAt(ctx, b)).toBe(before + 30 * DAY_S * 1000);
    expect(await paymentJournals(ctx, pay?.order_id ?? '')).toBe(1);
    expect(stripe.intentRequests.length).toBe(requestsBefore + 2);
    expect(await walletOf(ctx, b)).toBe(500);
    await expectLedgerSound(ctx);
  });

  it('retries a charge whose answer was lost on the same card, though another card became the default meanwhile', async () => {
    const ctx = get();
    const b = await renewingLine(ctx, 'pm_card_visa');
    const cardsBefore = stripe.intentCards.length;
    stripe.loseNextAnswer = true;
    await toTheCharge(ctx, b);
    const [renewal] = await renewalsOfLine(ctx.db, b.lineId);
    expect(renewal).toMatchObject({ status: 'scheduled', path: 'saved_method' });

    // The subscriber saves another card and makes it the default before the retry.
    await saveStripeCard(ctx, b, 'pm_card_declines');
    const methods = (await ctx.get('/api/v1/payment-methods', { token: b.token })).json.items as Array<{ id: string; isDefault: boolean }>;
    const second = methods.find((m) => !m.isDefault);
    expect(second).toBeDefined();
    const made = await ctx.patch(`/api/v1/payment-methods/${second?.id}`, { isDefault: true }, { token: b.token });
    expect(made.status, made.text).toBe(200);

    await advance(ctx, b, 16 * 60);
    await advance(ctx, b, 60);
    // The retry is the first request again: same key, same card — the charge Stripe already made.
    expect(stripe.intentCards.slice(cardsBefore)).toEqual(['pm_card_visa', 'pm_card_visa']);
    expect((await renewalsOfLine(ctx.db, b.lineId)).map((r) => [r.status, r.path])).toEqual([['pending', 'saved_method']]);
    expect((await renewalNotices(ctx, b)).map((n) => n.kind)).toEqual(['renewal_upcoming']);
    await expectLedgerSound(ctx);
  });

  it.each([
    ['pm_card_declines', /declined/],
    ['pm_card_authentication', /confirm this payment/],
  ] as const)('falls back to a pay-now link on Stripe\'s page when the off-session charge answers %s', async (card, why) => {
    const ctx = get();
    const b = await renewingLine(ctx, card);
    await toTheCharge(ctx, b);
    const notices = await renewalNotices(ctx, b);
    expect(notices.map((n) => n.kind)).toEqual(['renewal_upcoming', 'renewal_failed']);
    expect(notices[1]?.body).toMatch(why);
    expect(notices[1]?.body).toMatch(/https:\/\/checkout\.stripe\.test\/cs_test_/);
    expect((await renewalsOfLine(ctx.db, b.lineId)).map((r) => [r.status, r.path])).toEqual([['pay_link', 'pay_link']]);
    await expectLedgerSound(ctx);
  });
}, env);
