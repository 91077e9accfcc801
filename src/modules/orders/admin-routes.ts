// HTTP for operators: orders, refunds, vouchers and reconciliation reports (role operator/admin).
import { STAFF, actorOf, guard } from '../../http/auth.ts';
import { IDEMPOTENCY_HEADER, sendIdempotent } from '../../http/idempotency.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { fromJson } from '../../domain/money.ts';
import { listReconciliationReports, runReconciliation } from './reconciliation.ts';
import { refundOrder } from './refunds.ts';
import {
  adminOrdersQuery, issuedVouchersSchema, orderIdParams, orderPageSchema, reconciliationPageSchema, reconciliationQuery, reconciliationReportSchema, refundBody,
  refundSchema, voucherBody,
} from './schemas.ts';
import { listOrders } from './service.ts';
import { issueVouchers } from './vouchers.ts';

const tags = ['admin'];

export function ordersAdminRoutes(app: App, deps: AppDeps): void {
  const { db, clock } = deps;
  const staff = guard(STAFF);

  app.get('/api/v1/admin/orders', { schema: { tags, querystring: adminOrdersQuery, response: { 200: orderPageSchema, ...problemResponses(400, 401, 403) } }, onRequest: staff }, async (request) => {
    return listOrders(db, request.query);
  });

  app.post('/api/v1/admin/orders/:id/refund', {
    schema: {
      tags, params: orderIdParams, body: refundBody,
      // 201 settled; 202 recorded and reserved (status pending), the provider's answer still to come. 402
      // insufficient_funds: a top-up's refund takes its credit back from the wallet, which was spent since.
      // 409 nothing captured or the idempotency key; 422 over the captured amount, a wrong destination or
      // the provider's refusal.
      response: {
        201: refundSchema, 202: refundSchema,
        ...problemResponses(400, 401, 402, 403, 404, 409, 413, 415, 422),
      },
    },
    onRequest: staff,
  }, async (request, reply) => {
    const header = request.headers[IDEMPOTENCY_HEADER];
    const { amount, ...rest } = request.body;
    return sendIdempotent(db, request, reply, async () => {
      const refund = await refundOrder({ db, clock, providers: deps.payments }, {
        ...rest, orderId: request.params.id, amount: amount ? fromJson(amount) : undefined, actor: actorOf(request),
        // Without a key every request is a new refund; the amount guard still caps the total.
        idempotency: typeof header === 'string' ? `key:${header}` : `request:${request.id}`,
      });
      // 202: recorded and reserved, the provider's answer is still to come (its job retries; docs/operations.md).
      return { status: refund.status === 'pending' ? 202 : 201, body: refund };
    });
  });

  app.post('/api/v1/admin/vouchers', { schema: { tags, body: voucherBody, response: { 201: issuedVouchersSchema, ...problemResponses(400, 401, 403, 413, 415, 422) } }, onRequest: staff }, async (request, reply) => {
    const items = await issueVouchers(db, deps.secretKey, { count: request.body.count, amount: fromJson(request.body.amount), now: clock.now(), actor: actorOf(request) });
    return reply.code(201).send({ items });
  });

  app.get('/api/v1/admin/reconciliation', { schema: { tags, querystring: reconciliationQuery, response: { 200: reconciliationPageSchema, ...problemResponses(400, 401, 403) } }, onRequest: staff }, async (request) => {
    const cursor = request.query.cursor === undefined ? undefined : Number(request.query.cursor);
    return listReconciliationReports(db, request.query.limit, Number.isSafeInteger(cursor) ? cursor : undefined);
  });

  app.post('/api/v1/admin/reconciliation', { schema: { tags, response: { 201: reconciliationReportSchema, ...problemResponses(400, 401, 403, 413, 415) } }, onRequest: staff }, async (request, reply) => {
    return reply.code(201).send(await runReconciliation(db, clock.now(), deps.payments, actorOf(request)));
  });
}
