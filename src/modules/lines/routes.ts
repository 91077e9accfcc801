// HTTP for lines (API.md "Lines" and the operator's inventory and lines; the operator's carrier list,
// which shows each carrier's adapter too, is served by the carrier-adapters module). Handlers only
// validate, call one use case and shape the answer; every line route answers 404 line_not_found
// for another customer's line (the use cases filter by owner).
import type { FastifyRequest } from 'fastify';
import { STAFF, actorOf, guard, principalOf } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import { requestLocale } from '../../http/locale.ts';
import { CSV_BODY_LIMIT_BYTES } from '../../http/server.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { esimActivation } from './esim.ts';
import { importSims } from './import.ts';
import {
  bindBody, esimActivationSchema, lineIdParams, lineListSchema, lineViewSchema, operateBody, ownLinesQuery, simImportResultSchema, simsCsvBody,
  staffLineListSchema, staffLinesQuery, updateLineBody,
} from './schemas.ts';
import {
  bindCard, type AutoRenewPlanLookup, listLinesForStaff, loadLineRow, pageUserLines, operateLine, updateLineSettings, type LineStatus, type OperatorAction,
} from './service.ts';
import { lineView, staffLineSummary } from './view.ts';

const tags = ['lines'];
const adminTags = ['admin'];
const OPERATOR_ACTIONS: readonly OperatorAction[] = ['suspend', 'resume', 'terminate'];

/**
 * `lookupAutoRenewPlan` is the catalog's answer about a plan, handed in by the composition root:
 * the catalog imports lines, so lines must not import the catalog.
 */
export function linesRoutes(app: App, deps: AppDeps, lookupAutoRenewPlan: AutoRenewPlanLookup): void {
  const { db, clock, secretKey } = deps;
  const customer = guard('authenticated');
  const staff = guard(STAFF);
  const ownView = async (request: FastifyRequest, lineId: string) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    return lineView(db, await loadLineRow(db, lineId, { userId }), clock.now(), locale);
  };

  const bindResponses = { 201: lineViewSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 423, 429) };
  app.post('/api/v1/lines/bind', { schema: { tags, body: bindBody, response: bindResponses }, onRequest: customer }, async (request, reply) => {
    const lineId = await bindCard(db, { app: clock, wall: deps.wallClock }, secretKey, { userId: principalOf(request).userId, ...request.body, ip: request.ip });
    return reply.code(201).send(await ownView(request, lineId));
  });

  app.get('/api/v1/lines', { schema: { tags, querystring: ownLinesQuery, response: { 200: lineListSchema, ...problemResponses(400, 401) } }, onRequest: customer }, async (request) => {
    const { userId } = principalOf(request);
    const locale = requestLocale(request);
    const page = await pageUserLines(db, userId, request.query);
    const now = clock.now();
    const items = [];
    for (const row of page.items) items.push(await lineView(db, row, now, locale));
    return { items, nextCursor: page.nextCursor };
  });

  app.get('/api/v1/lines/:id', { schema: { tags, params: lineIdParams, response: { 200: lineViewSchema, ...problemResponses(400, 401, 404) } }, onRequest: customer }, async (request) =>
    ownView(request, request.params.id),
  );

  const patchResponses = { 200: lineViewSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422) };
  app.patch('/api/v1/lines/:id', { schema: { tags, params: lineIdParams, body: updateLineBody, response: patchResponses }, onRequest: customer }, async (request) => {
    const body = request.body;
    const autoRenew = body.autoRenew ? { ...body.autoRenew, planId: body.autoRenew.planId ?? null } : undefined;
    await updateLineSettings(db, principalOf(request).userId, request.params.id, { nickname: body.nickname, autoRenew }, lookupAutoRenewPlan, clock.now());
    return ownView(request, request.params.id);
  });

  const esimResponses = { 200: esimActivationSchema, ...problemResponses(400, 401, 404, 409) };
  app.get('/api/v1/lines/:id/esim', { schema: { tags, params: lineIdParams, response: esimResponses }, onRequest: customer }, async (request, reply) => {
    const activation = await esimActivation(db, secretKey, principalOf(request).userId, request.params.id, clock.now());
    // The activation code is a credential: no cache (browser, proxy) may keep it.
    return reply.header('cache-control', 'no-store').send(activation);
  });

  const importSchema = {
    tags: adminTags, consumes: ['text/csv'], body: simsCsvBody,
    response: { 200: simImportResultSchema, ...problemResponses(400, 401, 403, 413, 415, 422) },
  };
  app.post('/api/v1/admin/sims/import', { schema: importSchema, onRequest: staff, bodyLimit: CSV_BODY_LIMIT_BYTES }, async (request) =>
    importSims(db, secretKey, actorOf(request), request.body, { now: clock.now() }),
  );

  const staffListResponses = { 200: staffLineListSchema, ...problemResponses(400, 401, 403) };
  app.get('/api/v1/admin/lines', { schema: { tags: adminTags, querystring: staffLinesQuery, response: staffListResponses }, onRequest: staff }, async (request) => {
    const { status, ...rest } = request.query;
    const page = await listLinesForStaff(db, clock.now(), { ...rest, status: status as LineStatus | undefined });
    return { items: page.items.map(staffLineSummary), nextCursor: page.nextCursor };
  });

  const staffLineResponses = { 200: lineViewSchema, ...problemResponses(400, 401, 403, 404) };
  app.get('/api/v1/admin/lines/:id', { schema: { tags: adminTags, params: lineIdParams, response: staffLineResponses }, onRequest: staff }, async (request) =>
    lineView(db, await loadLineRow(db, request.params.id), clock.now(), 'en'),
  );

  for (const action of OPERATOR_ACTIONS) {
    const schema = {
      tags: adminTags, params: lineIdParams, body: operateBody,
      response: { 200: lineViewSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
    };
    app.post(`/api/v1/admin/lines/:id/${action}`, { schema, onRequest: staff }, async (request) => {
      await operateLine(db, clock, actorOf(request), { lineId: request.params.id, action, reason: request.body?.reason });
      return lineView(db, await loadLineRow(db, request.params.id), clock.now(), 'en');
    });
  }
}
