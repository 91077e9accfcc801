// HTTP for carrier adapters: the operator's carrier list (API.md's fields plus the adapter
// settings, never the secret), the adapter settings patch (operator/admin, audited) and the
// asynchronous carrier's callback (no login: the carrier's signature over the exact bytes is checked first).
import type { FastifyRequest } from 'fastify';
import { CARRIER_SIGNATURE_HEADER } from '../../adapters/carriers/http-json.ts';
import { STAFF, actorOf, guard } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { availableSimsByCarrier, getCarrier, listCarriers } from '../lines/service.ts';
import {
  adminCarrierListSchema, adminCarrierSchema, carrierAdapterPatch, carrierCallbackAck, carrierCallbackBody, carrierCodeParams,
} from './schemas.ts';
import { CALLBACK_BODY_LIMIT_BYTES, adapterSettingsByCarrier, configureCarrierAdapter, receiveCarrierCallback } from './service.ts';

const adminTags = ['admin'];

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function carrierAdaptersRoutes(app: App, deps: AppDeps): void {
  const { db, clock, secretKey } = deps;
  const staff = guard(STAFF);

  app.get('/api/v1/admin/carriers', { schema: { tags: adminTags, response: { 200: adminCarrierListSchema, ...problemResponses(401, 403) } }, onRequest: staff }, async () => {
    const stock = await availableSimsByCarrier(db);
    const settingsOf = await adapterSettingsByCarrier(db);
    // Every carrier profile on one page: a handful per deployment.
    const items = (await listCarriers(db)).map((c) => ({ ...c, simsAvailable: stock.get(c.code) ?? 0, ...settingsOf(c.code) }));
    return { items, nextCursor: null };
  });

  const patchResponses = { 200: adminCarrierSchema, ...problemResponses(400, 401, 403, 404, 413, 415, 422) };
  app.patch('/api/v1/admin/carriers/:code', { schema: { tags: adminTags, params: carrierCodeParams, body: carrierAdapterPatch, response: patchResponses }, onRequest: staff }, async (request) => {
    const { code } = request.params;
    const settings = await configureCarrierAdapter({ db, clock, secretKey }, actorOf(request), code, request.body);
    const stock = await availableSimsByCarrier(db);
    return { ...(await getCarrier(db, code)), simsAvailable: stock.get(code) ?? 0, ...settings };
  });

  const callbackDeps = { db, clock, secretKey, wallClock: deps.wallClock, providers: deps.payments };
  // Encapsulated: only here is the body kept as the exact text received (the signature covers bytes).
  void app.register(async (scoped: App) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser('*', { parseAs: 'string', bodyLimit: CALLBACK_BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
    const schema = {
      tags: ['carriers'], params: carrierCodeParams, body: carrierCallbackBody, security: [], consumes: ['application/json'],
      // 400: the signature does not verify, or the verified body is not the protocol's; 404: no such carrier.
      response: { 200: carrierCallbackAck, ...problemResponses(400, 404, 413) },
    };
    scoped.post('/api/v1/carriers/:code/callbacks', { schema }, async (request) => {
      const rawBody = typeof request.body === 'string' ? request.body : '';
      const outcome = await receiveCarrierCallback(callbackDeps, { code: request.params.code, rawBody, signature: headerOf(request, CARRIER_SIGNATURE_HEADER) });
      return { received: true as const, outcome };
    });
  });
}
