// HTTP for the catalog: the operator's plans and promotions, the subscriber's plan list and quotes.
import { STAFF, actorOf, guard, principalOf } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { requestLocale } from '../../http/locale.ts';
import {
  adminListQuery, catalogPageSchema, createPlanBody, createPromotionBody, createQuoteBody, idParams, listPlansQuery, planPageSchema, planSchema,
  promotionPageSchema, promotionSchema, quoteSchema, updatePlanBody, updatePromotionBody,
} from './schemas.ts';
import { listCatalog } from './catalog-list.ts';
import { createPlan, listPlansForStaff, updatePlan } from './plans.ts';
import { createPromotion, listPromotionsForStaff, updatePromotion } from './promotions.ts';
import { createQuote } from './quotes.ts';

const adminTags = ['admin'];
const tags = ['catalog'];


const activeFilter = (v: 'true' | 'false' | undefined): boolean | undefined => (v === undefined ? undefined : v === 'true');

export function catalogRoutes(app: App, deps: AppDeps): void {
  const { db, clock } = deps;
  const staff = { onRequest: guard(STAFF) };
  const subscriber = { onRequest: guard('authenticated') };

  app.get('/api/v1/admin/plans', { schema: { tags: adminTags, querystring: adminListQuery, response: { 200: planPageSchema, ...problemResponses(400, 401, 403) } }, ...staff }, async (request) => {
    const { limit, cursor, active } = request.query;
    return listPlansForStaff(db, clock.now(), { limit, cursor, active: activeFilter(active) }, requestLocale(request));
  });

  app.post('/api/v1/admin/plans', { schema: { tags: adminTags, body: createPlanBody, response: { 201: planSchema, ...problemResponses(400, 401, 403, 409, 422) } }, ...staff }, async (request, reply) =>
    reply.code(201).send(await createPlan(db, clock.now(), actorOf(request), request.body, { locale: requestLocale(request) })),
  );

  app.patch('/api/v1/admin/plans/:id', { schema: { tags: adminTags, params: idParams, body: updatePlanBody, response: { 200: planSchema, ...problemResponses(400, 401, 403, 404, 409, 422) } }, ...staff }, async (request) =>
    updatePlan(db, clock.now(), actorOf(request), request.params.id, request.body, requestLocale(request)),
  );

  app.get('/api/v1/admin/promotions', { schema: { tags: adminTags, querystring: adminListQuery, response: { 200: promotionPageSchema, ...problemResponses(400, 401, 403) } }, ...staff }, async (request) => {
    const { limit, cursor, active } = request.query;
    return listPromotionsForStaff(db, { limit, cursor, active: activeFilter(active) });
  });

  app.post('/api/v1/admin/promotions', { schema: { tags: adminTags, body: createPromotionBody, response: { 201: promotionSchema, ...problemResponses(400, 401, 403, 409, 422) } }, ...staff }, async (request, reply) =>
    reply.code(201).send(await createPromotion(db, clock.now(), actorOf(request), request.body)),
  );

  app.patch('/api/v1/admin/promotions/:id', { schema: { tags: adminTags, params: idParams, body: updatePromotionBody, response: { 200: promotionSchema, ...problemResponses(400, 401, 403, 404, 409, 422) } }, ...staff }, async (request) =>
    updatePromotion(db, clock.now(), actorOf(request), request.params.id, request.body),
  );

  app.get('/api/v1/plans', { schema: { tags, querystring: listPlansQuery, response: { 200: catalogPageSchema, ...problemResponses(400, 401, 404) } }, ...subscriber }, async (request) => {
    const { region, lineId } = request.query;
    // The whole active catalog for the region or line fits one page.
    const { items } = await listCatalog(db, clock.now(), { userId: principalOf(request).userId, locale: requestLocale(request), region, lineId });
    return { items, nextCursor: null };
  });

  app.post('/api/v1/quotes', { schema: { tags, body: createQuoteBody, response: { 200: quoteSchema, ...problemResponses(400, 401, 404, 409, 422, 429) } }, ...subscriber }, async (request) => {
    const { lineId, planId, amount, bundle, couponCode } = request.body;
    const topupAmount = amount === undefined ? undefined : { amountMinor: amount.amount, currency: amount.currency };
    const purchase = { userId: principalOf(request).userId, lineId, planId, topupAmount, bundle, couponCode };
    return createQuote(db, clock.now(), purchase, requestLocale(request));
  });
}
