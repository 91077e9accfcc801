// The load generator for the HTTP money-path bench, run as its own process (bench/money-path.ts
// spawns it) so autocannon never shares the server's event loop. Reads its plan as JSON from argv,
// prints one JSON line of figures on stdout. Every request carries a fresh Idempotency-Key and
// the customers take turns, each ordering for their own line from their own funded wallet.
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

export interface LoadPlan {
  url: string;
  connections: number;
  durationSeconds: number;
  customers: Array<{ token: string; lineId: string }>;
  planId: string;
}

export interface LoadFigures {
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  firstError: string | null;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan;
let turn = 0;
let firstError: string | null = null;
const result = await autocannon({
  url: plan.url,
  connections: plan.connections,
  duration: plan.durationSeconds,
  requests: [{
    method: 'POST',
    path: '/api/v1/orders',
    setupRequest: (request) => {
      const customer = plan.customers[turn++ % plan.customers.length];
      if (!customer) throw new Error('no customers');
      return {
        ...request,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}`, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ lineId: customer.lineId, planId: plan.planId, paymentMethod: 'wallet' }),
      };
    },
    onResponse: (status, body) => {
      if (status !== 201 && firstError === null) firstError = `${status} ${String(body).slice(0, 200)}`;
    },
  }],
});
const seconds = result.duration;
const figures: LoadFigures = {
  ok: result['2xx'], failed: result.non2xx + result.errors + result.timeouts, seconds,
  perSecond: Math.round(result['2xx'] / seconds), p50Ms: result.latency.p50, p99Ms: result.latency.p99, firstError,
};
process.stdout.write(JSON.stringify(figures) + '\n');
