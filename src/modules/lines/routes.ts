// HTTP for lines (API.md "Lines" and the operator's inventory, carriers and lines). Handlers only
// validate, call one use case and shape the answer; every line route answers 404 line_not_found
// for another customer's line (the use cases filter by owner).
import type { FastifyRequest } from 'fastify';
import { STAFF, actorOf, guard, principalOf } from '../../http/auth.ts';
import { requestLocale } from '../../http/locale.ts';
import { CSV_BODY_LIMIT_BYTES } from '../../http/server.ts';
import type { App, AppDeps } from '../../http/types.ts';
import { DomainError } from '../../domain/errors.ts';
import { getPlanSnapshot } from '../catalog/service.ts';
import { esimActivation } from './esim.ts';
import { importSims } from './import.ts';
import { bindBody, lineIdParams, operateBody, ownLinesQuery, simsCsvBody, staffLinesQuery, updateLineBody } from './schemas.ts';
import {
  availableSimsByCarrier, bindCard, listCarriers, listLinesForStaff, listUserLineRows, loadLineRow, operateLine, updateLineSettings, type LineStatus, type OperatorAction,
} from './service.ts';
import { lineView, staffLineSummary } from './view.ts';

const tags = ['lines'];
const adminTags = ['admin'];
const OPERATOR_ACTIONS: readonly OperatorAction[] = ['suspend', 'resume', 'terminate'];

export function linesRoutes(app: App, deps: AppDeps): void {
  const { db, clock, secretKey } = deps;
  const customer = guard('authenticated');
  const staff = guard(STAFF);
  const lookupAutoRenewPlan = async (planId: string) => {
    try {
      const plan = await getPlanSnapshot(db, planId);
      return { autoRenewable: plan.autoRenewable, currency: plan.price.currency };
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') return null;
      throw error;
    }
  };
  const ownView = async (request: FastifyRequest, lineId: string) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    return lineView(db, await loadLineRow(db, lineId, { userId }), clock.now(), locale);
  };

  app.post('/api/v1/lines/bind', { schema: { tags, body: bindBody }, onRequest: customer }, async (request, reply) => {
    const lineId = await bindCard(db, clock, secretKey, { userId: principalOf(request).userId, ...request.body, ip: request.ip });
    return reply.code(201).send(await ownView(request, lineId));
  });

  app.get('/api/v1/lines', { schema: { tags, querystring: ownLinesQuery }, onRequest: customer }, async (request) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    const { limit, cursor } = request.query;
    const rows = await listUserLineRows(db, userId, { limit: limit + 1, after: cursor });
    const page = rows.slice(0, limit);
    const now = clock.now();
    const items = [];
    for (const row of page) items.push(await lineView(db, row, now, locale));
    return { items, nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null };
  });

  app.get('/api/v1/lines/:id', { schema: { tags, params: lineIdParams }, onRequest: customer }, async (request) =>
    ownView(request, request.params.id),
  );

  app.patch('/api/v1/lines/:id', { schema: { tags, params: lineIdParams, body: updateLineBody }, onRequest: customer }, async (request) => {
    const body = request.body;
    const autoRenew = body.autoRenew ? { ...body.autoRenew, planId: body.autoRenew.planId ?? null } : undefined;
    await updateLineSettings(db, principalOf(request).userId, request.params.id, { nickname: body.nickname, autoRenew }, lookupAutoRenewPlan, clock.now());
    return ownView(request, request.params.id);
  });

  app.get('/api/v1/lines/:id/esim', { schema: { tags, params: lineIdParams }, onRequest: customer }, async (request, reply) => {
    const activation = await esimActivation(db, secretKey, principalOf(request).userId, request.params.id, clock.now());
    // The activation code is a credential: no cache (browser, proxy) may keep it.
    return reply.header('cache-control', 'no-store').send(activation);
  });

  const importSchema = { tags: adminTags, consumes: ['text/csv'], body: simsCsvBody };
  app.post('/api/v1/admin/sims/import', { schema: importSchema, onRequest: staff, bodyLimit: CSV_BODY_LIMIT_BYTES }, async (request) =>
    importSims(db, secretKey, actorOf(request), request.body, { now: clock.now() }),
  );

  app.get('/api/v1/admin/carriers', { schema: { tags: adminTags }, onRequest: staff }, async () => {
    const stock = await availableSimsByCarrier(db);
    // Every carrier profile on one page: a handful per deployment.
    return { items: (await listCarriers(db)).map((c) => ({ ...c, simsAvailable: stock.get(c.code) ?? 0 })), nextCursor: null };
  });

  app.get('/api/v1/admin/lines', { schema: { tags: adminTags, querystring: staffLinesQuery }, onRequest: staff }, async (request) => {
    const { status, ...rest } = request.query;
    const page = await listLinesForStaff(db, clock.now(), { ...rest, status: status as LineStatus | undefined });
    return { items: page.rows.map(staffLineSummary), nextCursor: page.nextCursor };
  });

  app.get('/api/v1/admin/lines/:id', { schema: { tags: adminTags, params: lineIdParams }, onRequest: staff }, async (request) =>
    lineView(db, await loadLineRow(db, request.params.id), clock.now(), 'en'),
  );

  for (const action of OPERATOR_ACTIONS) {
    const schema = { tags: adminTags, params: lineIdParams, body: operateBody };
    app.post(`/api/v1/admin/lines/:id/${action}`, { schema, onRequest: staff }, async (request) => {
      await operateLine(db, clock, actorOf(request), { lineId: request.params.id, action, reason: request.body?.reason });
      return lineView(db, await loadLineRow(db, request.params.id), clock.now(), 'en');
    });
  }
}
