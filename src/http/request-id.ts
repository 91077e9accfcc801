// The request id: a client's X-Request-Id when it is sane (bounded length, a safe charset — it goes
// into every log line and the audit log), otherwise a fresh UUID. Decided when Fastify creates the
// request, so the logger's `reqId` binding and `request.id` are the same sanitised value.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const REQUEST_ID_MAX_LENGTH = 128;
const SAFE_REQUEST_ID = /^[\w.:-]+$/;

function isSafeRequestId(value: string): boolean {
  return value.length > 0 && value.length <= REQUEST_ID_MAX_LENGTH && SAFE_REQUEST_ID.test(value);
}

export function requestIdOf(raw: IncomingMessage): string {
  const sent = raw.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && isSafeRequestId(sent) ? sent : randomUUID();
}
