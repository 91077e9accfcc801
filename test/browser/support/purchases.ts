// Purchases made through the API as a script would (bearer token), so the pages under test have
// orders in each state to show: completed, failed, and a saved card.
import { randomUUID } from 'node:crypto';

export interface Buyer {
  token: string;
  lineId: string;
}

async function call<T>(baseUrl: string, path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export async function buyerOf(baseUrl: string, login: { email: string; password: string }): Promise<Buyer> {
  const { token } = await call<{ token: string }>(baseUrl, '/auth/login', { body: login });
  const lines = await call<{ items: Array<{ id: string }> }>(baseUrl, '/lines', { token });
  const lineId = lines.items[0]?.id;
  if (!lineId) throw new Error('the account has no line');
  return { token, lineId };
}

/** Orders a catalog plan (by code) with a sandbox-paid method; answers the order and payment ids. */
export async function orderPlan(baseUrl: string, buyer: Buyer, code: string, paymentMethod = 'card'): Promise<{ orderId: string; paymentId: string }> {
  const plans = await call<{ items: Array<{ id: string; code: string }> }>(baseUrl, `/plans?lineId=${buyer.lineId}`, { token: buyer.token });
  const plan = plans.items.find((p) => p.code === code);
  if (!plan) throw new Error(`no plan ${code} for the line`);
  const order = await call<{ id: string; payment: { id: string } }>(baseUrl, '/orders', {
    token: buyer.token, headers: { 'idempotency-key': randomUUID() }, body: { lineId: buyer.lineId, planId: plan.id, paymentMethod },
  });
  return { orderId: order.id, paymentId: order.payment.id };
}

/** Stands for the payer on the sandbox page; then waits (bounded) until the worker settled the order. */
export async function settle(baseUrl: string, buyer: Buyer, ids: { orderId: string; paymentId: string }, outcome: 'succeeded' | 'failed'): Promise<void> {
  await call(baseUrl, `/sandbox/payments/${ids.paymentId}/complete`, { body: { outcome } });
  const want = outcome === 'succeeded' ? 'completed' : 'failed';
  for (let attempt = 0; attempt < 120; attempt++) {
    const order = await call<{ status: string }>(baseUrl, `/orders/${ids.orderId}`, { token: buyer.token });
    if (order.status === want) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`order ${ids.orderId} never became ${want}`);
}

/** Saves the sandbox's test card, as its save page would. */
export async function saveSandboxCard(baseUrl: string, buyer: Buyer): Promise<void> {
  const { action } = await call<{ action: { url: string } }>(baseUrl, '/payment-methods', { token: buyer.token, body: { paymentMethod: 'card' } });
  const setupId = decodeURIComponent(new URL(action.url).pathname.split('/').pop() ?? '');
  await call(baseUrl, `/sandbox/payment-methods/${setupId}/complete`, { body: { behaviour: 'succeeds' } });
}
