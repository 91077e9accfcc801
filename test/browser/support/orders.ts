// An order made through the API as the portal's checkout will make it, for the order page to show.
import { randomUUID } from 'node:crypto';

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function placeOrder(baseUrl: string, login: { email: string; password: string }): Promise<string> {
  const api = `${baseUrl}/api/v1`;
  const { token } = await json<{ token: string }>(await fetch(`${api}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(login),
  }));
  const auth = { authorization: `Bearer ${token}` };
  const lines = await json<{ items: Array<{ id: string }> }>(await fetch(`${api}/lines`, { headers: auth }));
  const lineId = lines.items[0]?.id;
  if (!lineId) throw new Error('the account has no line to order for');
  const plans = await json<{ items: Array<{ id: string; kind: string; bundle: unknown }> }>(await fetch(`${api}/plans?lineId=${lineId}`, { headers: auth }));
  const plan = plans.items.find((p) => p.kind === 'base' && p.bundle === null);
  if (!plan) throw new Error('no base plan for the line');
  const order = await json<{ id: string }>(await fetch(`${api}/orders`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ lineId, planId: plan.id, paymentMethod: 'card' }),
  }));
  return order.id;
}
