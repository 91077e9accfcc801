// problem+json (RFC 9457) — the one place expected failures become HTTP statuses. Domain code
// throws DomainError with a stable `code`; PostgreSQL constraint errors that escape a use case map
// to conflict / validation here too. Anything else is a bug: logged, answered as a 500.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DomainError, HTTP_STATUS_OF_KIND, type FieldError } from '../domain/errors.ts';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../db/availability.ts';
import { PG_CHECK_VIOLATION, PG_UNIQUE_VIOLATION, pgErrorCode } from '../db/types.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 423: 'Locked', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** The problem+json body (RFC 9457) as routes declare it in their `response` schemas; extensions pass through. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable snake_case machine code'),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .loose()
  // Registered by id: the OpenAPI document holds it once, in components, and every error answer refers to it.
  .meta({ id: 'Problem' });

const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** `response` entries for a route's error statuses, each a problem+json body. */
export function problemResponses(...statuses: number[]): Record<number, { description: string; content: Record<string, { schema: typeof problemSchema }> }> {
  return Object.fromEntries(
    statuses.map((status) => [status, { description: TITLES[status] ?? 'Error', content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } }]),
  );
}

export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `https://simkeep.dev/problems/${code}`, title: TITLES[status] ?? 'Error', status, code, detail, ...extra };
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type('application/problem+json; charset=utf-8').send(p);
}

const PG_CHARACTER_NOT_IN_REPERTOIRE = '22021';
const PG_UNTRANSLATABLE_CHARACTER = '22P05';

/** Maps any thrown value to a problem. Returns null for unexpected errors (bugs). */
function toProblem(error: unknown): Problem | null {
  if (error instanceof DomainError) {
    const { errors, retryAfterSeconds: _retry, ...rest } = error.extra;
    return problem(HTTP_STATUS_OF_KIND[error.kind], error.code, error.message, { ...(errors ? { errors } : {}), ...rest });
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((v) => ({
      path: [...(v.instancePath ? v.instancePath.split('/').filter(Boolean) : []), ...((v.params as { issue?: { path?: PropertyKey[] } })?.issue?.path ?? []).map(String)]
        .filter((p, i, all) => all.indexOf(p) === i)
        .join('.') || (error.validationContext ?? 'body'),
      message: v.message ?? 'invalid',
    }));
    return problem(400, 'invalid_request', `the request ${error.validationContext ?? 'body'} is not valid`, { errors });
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'malformed_json', 'the request body is not valid JSON');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'body_too_large', 'the request body is larger than this route accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'unsupported_media_type', 'this content type is not accepted here');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, 'invalid_content_length', 'the Content-Length header does not match the body');
    default:
      break;
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return problem(fastifyError.statusCode, 'bad_request', fastifyError.message ?? 'bad request');
  }
  const pgCode = pgErrorCode(error);
  if (pgCode === PG_UNIQUE_VIOLATION) return problem(409, 'conflict', 'the request conflicts with existing data');
  if (pgCode === PG_CHECK_VIOLATION) return problem(422, 'constraint_violation', 'the request breaks a data rule');
  // Text the database cannot store (U+0000, an unpaired surrogate): the request hook refuses it first;
  // this keeps any path it does not see a 400 too.
  if (pgCode === PG_CHARACTER_NOT_IN_REPERTOIRE || pgCode === PG_UNTRANSLATABLE_CHARACTER) {
    return problem(400, 'invalid_text', 'the request contains text that cannot be stored (a NUL character or an unpaired surrogate)');
  }
  return null;
}

/** Fastify's own routing failures (before any route runs): an undecodable URL, an over-long path parameter. */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendProblem(reply, problem(414, 'path_parameter_too_long', 'a path parameter is longer than any id'));
  if (error.code === 'FST_ERR_BAD_URL') return sendProblem(reply, problem(400, 'invalid_url', 'the URL is not validly percent-encoded'));
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  return sendProblem(reply, problem(status, 'bad_request', error.message));
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // The database went away (died, restarting, failing over): not a bug, and nothing half-done —
  // the transaction went with the connection. The client retries; an Idempotency-Key makes that safe.
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, 'database unavailable');
    reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    return sendProblem(reply, problem(503, 'database_unavailable', `the database cannot be reached or is failing over; retry in ${DATABASE_RETRY_AFTER_SECONDS} s`));
  }
  const p = toProblem(error);
  if (p) {
    if (error instanceof DomainError && error.extra.retryAfterSeconds) reply.header('retry-after', String(error.extra.retryAfterSeconds));
    return sendProblem(reply, p);
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendProblem(reply, problem(500, 'internal_error', 'an unexpected error occurred; it has been logged', { requestId: request.id }));
}
