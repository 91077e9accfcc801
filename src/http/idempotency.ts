// HTTP glue for idempotency keys: the scope is the caller plus the route, so one client's key never
// meets another's; the fingerprint covers the route, path parameters and the body.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/types.ts';
import {
  requestFingerprint, runIdempotent, runIdempotentInTransaction, type AnswerInTransaction, type StoredResponse,
} from '../modules/idempotency/service.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Runs `handler` once per Idempotency-Key (when the header is present) and sends its response;
 * a replay sends the stored one with `Idempotent-Replayed: true`. `body` stands for the request
 * body in the fingerprint when the parsed body is not it (a streamed body: its digest).
 */
export async function sendIdempotent(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  handler: () => Promise<StoredResponse>,
  body: unknown = request.body,
): Promise<FastifyReply> {
  const header = request.headers[IDEMPOTENCY_HEADER];
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined) {
    const response = await handler();
    return reply.code(response.status).send(response.body);
  }
  const response = await runIdempotent(db, keyInput(request, key, body), handler);
  if (response.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(response.status).send(response.body);
}

function keyInput(request: FastifyRequest, key: string, body: unknown): { scope: string; key: string; fingerprint: string } {
  const route = request.routeOptions.url ?? request.url;
  const scope = `${request.principal?.userId ?? 'anonymous'}:${request.method} ${route}`;
  const fingerprint = requestFingerprint([request.method, request.url.split('?')[0], body ?? null]);
  return { scope, key, fingerprint };
}

/**
 * sendIdempotent for a handler that answers from one transaction of its own and stores the answer
 * there through `answer` (runIdempotentInTransaction); `answer` is null without an Idempotency-Key,
 * and on the fallback to the claim protocol.
 */
export async function sendIdempotentInTransaction(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  handler: (answer: AnswerInTransaction | null) => Promise<StoredResponse>,
): Promise<FastifyReply> {
  const header = request.headers[IDEMPOTENCY_HEADER];
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined) {
    const response = await handler(null);
    return reply.code(response.status).send(response.body);
  }
  const response = await runIdempotentInTransaction(db, keyInput(request, key, request.body), handler);
  if (response.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(response.status).send(response.body);
}
