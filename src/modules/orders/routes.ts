// HTTP for a subscriber's orders and wallet (API.md "Orders and payments"). Handlers validate,
// call one use case and shape the answer; another customer's order answers 404 order_not_found.
import { actorOf, guard, principalOf } from '../../http/auth.ts';
import { IDEMPOTENCY_HEADER, sendIdempotent, sendIdempotentInTransaction } from '../../http/idempotency.ts';

import { requestLocale } from '../../http/locale.ts';
import { problem, problemResponses, sendProblem } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { fromRequestJson } from '../../domain/money.ts';
import {
  createOrderBody, listOrdersQuery, orderIdParams, orderPageSchema, orderSchema, receiptQuery, receiptResponse, walletQuery, walletSchema, type OrderView,
} from './schemas.ts';
import { cancelOrder, getOrder, isPaidAtOnce, listOrders, placeOrder } from './service.ts';
import type { Queryable } from '../../db/types.ts';
import { renderReceipt } from './receipt.ts';
import { walletView } from './wallet.ts';

const tags = ['orders'];

export function ordersRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  const orderDeps = { db, clock: deps.clock, secretKey: deps.secretKey, log: deps.log, providers: deps.payments, publicUrl: deps.publicUrl };
  const customer = guard('authenticated');

  app.post('/api/v1/orders', {
    schema: {
      tags, body: createOrderBody,
      // 402 insufficient_funds (wallet); 404 line, plan or quote; 409 idempotency key or an exhausted coupon;
      // 410 quote_expired; 422 business rules; 429 too_many_unpaid_orders; 503 provider_unavailable (nothing charged).
      response: { 201: orderSchema, ...problemResponses(400, 401, 402, 403, 404, 409, 410, 413, 415, 422, 429, 503) },
    },
    onRequest: customer,
  }, async (request, reply) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    const key = request.headers[IDEMPOTENCY_HEADER];
    const { topupAmount, paymentMethod, ...rest } = request.body;
    const input = {
      ...rest, userId, locale, actor: actorOf(request), paymentMethod, clientIp: request.ip,
      topupAmount: topupAmount ? fromRequestJson(topupAmount) : undefined, idempotencyKey: typeof key === 'string' ? key : null,
    };
    // Paid (or refused) in the order's own transaction: the key's answer is stored in it too.
    if (isPaidAtOnce(paymentMethod)) {
      return sendIdempotentInTransaction(db, request, reply, async (answer) => {
        const answerInTransaction = answer ? (tx: Queryable, order: OrderView) => answer(tx, { status: 201, body: order }) : undefined;
        return { status: 201, body: await placeOrder(orderDeps, { ...input, answerInTransaction }) };
      });
    }
    return sendIdempotent(db, request, reply, async () => ({ status: 201, body: await placeOrder(orderDeps, input) }));
  });

  app.get('/api/v1/orders', { schema: { tags, querystring: listOrdersQuery, response: { 200: orderPageSchema, ...problemResponses(400, 401) } }, onRequest: customer }, async (request) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    return listOrders(db, { ...request.query, userId, locale });
  });

  app.get('/api/v1/orders/:id', { schema: { tags, params: orderIdParams, response: { 200: orderSchema, ...problemResponses(400, 401, 404) } }, onRequest: customer }, async (request) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    return getOrder(db, userId, request.params.id, locale);
  });

  app.post('/api/v1/orders/:id/cancel', {
    schema: { tags, params: orderIdParams, response: { 200: orderSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415) } }, onRequest: customer,
  }, async (request) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    return cancelOrder(orderDeps, userId, request.params.id, locale);
  });

  app.get('/api/v1/orders/:id/receipt', {
    // 406 pdf_not_available; 409 order_not_paid.
    schema: { tags, params: orderIdParams, querystring: receiptQuery, response: { 200: receiptResponse, ...problemResponses(400, 401, 404, 406, 409) } },
    onRequest: customer,
  }, async (request, reply) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    const html = await renderReceipt(db, userId, request.params.id, locale);
    if (request.query.format === 'pdf') {
      // Looked up first, so another customer's order still answers 404.
      return sendProblem(reply, { ...problem(406, 'pdf_not_available', 'receipts are available as HTML only: print the HTML receipt to PDF'), title: 'Not Acceptable' });
    }
    return reply.type('text/html; charset=utf-8').send(html);
  });

  app.get('/api/v1/wallet', { schema: { tags: ['wallet'], querystring: walletQuery, response: { 200: walletSchema, ...problemResponses(400, 401, 422) } }, onRequest: customer }, async (request) => {
    return walletView(db, principalOf(request).userId, request.query.currency);
  });
}
