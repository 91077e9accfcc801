// HTTP for payments: provider webhooks (raw body, signature first) and the sandbox provider's
// hosted page and completion endpoint (404 unless sandbox mode is on).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../domain/errors.ts';
import type { AppDeps } from '../../app-deps.ts';
import { problemResponses } from '../../http/problem.ts';
import type { App } from '../../http/types.ts';
import {
  htmlPageResponse, paymentParams, sandboxCompleteBody, sandboxCompleteReply, webhookAckResponse, webhookBody, webhookParams,
} from './schemas.ts';
import { sandboxPaymentPage } from './sandbox-page.ts';
import { completeSandboxPayment, getSandboxPayment } from './sandbox-service.ts';
import { WEBHOOK_BODY_LIMIT_BYTES, receiveWebhook } from './webhooks.ts';

function flatHeaders(request: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(request.headers)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

export function paymentsRoutes(app: App, deps: AppDeps): void {
  const webhookDeps = { db: deps.db, clock: deps.clock, log: deps.log, providers: deps.payments, outcomes: deps.paymentOutcomes };
  // Encapsulated: only here is every body kept as the exact text received (signatures cover bytes).
  void app.register(async (scoped: App) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser('*', { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
    const schema = {
      tags: ['payments'], params: webhookParams, consumes: ['application/json', 'application/x-www-form-urlencoded'], body: webhookBody, security: [],
      // 400: the signature does not verify; 404: no such provider configured; 503: the provider could not be asked to verify it.
      response: { 200: webhookAckResponse, ...problemResponses(400, 404, 413, 503) },
    };
    scoped.post('/api/v1/webhooks/:provider', { schema }, async (request, reply) => {
      const rawBody = typeof request.body === 'string' ? request.body : '';
      const ack = await receiveWebhook(webhookDeps, { provider: request.params.provider, headers: flatHeaders(request), rawBody });
      // A capture enqueues provisioning: start it now rather than at the next poll.
      void deps.worker.poke();
      // The acknowledgement is already the exact text the provider expects (declared above per media
      // type): sent as it is, through the untyped reply, since no schema can say "pre-serialized JSON".
      const rawReply: FastifyReply = reply;
      return rawReply.code(ack.status).type(ack.contentType).send(ack.body);
    });
  });

  const requireSandbox = async (): Promise<void> => {
    if (!deps.config.sandbox) throw new DomainError('not_found', 'not_found', 'the sandbox is off');
  };
  app.get('/sandbox/pay/:paymentId', {
    schema: { tags: ['sandbox'], params: paymentParams, security: [], response: { 200: htmlPageResponse, ...problemResponses(400, 404) } }, onRequest: requireSandbox,
  }, async (request, reply) => {
    const row = await getSandboxPayment(deps.db, request.params.paymentId);
    return reply.type('text/html; charset=utf-8').send(sandboxPaymentPage(row));
  });
  app.post(
    '/api/v1/sandbox/payments/:paymentId/complete',
    {
      schema: {
        tags: ['sandbox'], params: paymentParams, body: sandboxCompleteBody, security: [],
        response: { 202: sandboxCompleteReply, ...problemResponses(400, 404, 413, 415) },
      },
      onRequest: requireSandbox,
    },
    async (request, reply) => {
      const { status } = await completeSandboxPayment(deps.db, deps.clock.now(), request.params.paymentId, request.body.outcome);
      // The deliveries are due now: run them at once rather than at the next poll.
      void deps.worker.poke();
      return reply.code(202).send({ paymentId: request.params.paymentId, status });
    },
  );
}
