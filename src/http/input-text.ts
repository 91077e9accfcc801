// Text PostgreSQL cannot store: U+0000 (in text and jsonb) and unpaired UTF-16 surrogates (jsonb
// refuses their escapes; text would silently turn them into U+FFFD). Refused at the door with
// 400 `invalid_text`, so no use case meets them and no database error becomes a 500.
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.ts';

const NUL = String.fromCharCode(0);
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isUnstorable = (text: string): boolean => text.includes(NUL) || UNPAIRED_SURROGATE.test(text);
/** Deeper than any request schema goes; what lies below is refused by validation anyway. */
const MAX_DEPTH = 32;

function findUnstorable(value: unknown, path: string, depth: number): string | null {
  if (typeof value === 'string') return isUnstorable(value) ? path : null;
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return null;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (isUnstorable(key)) return childPath;
    const found = findUnstorable(child, childPath, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

function isParsedJson(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(body);
  return Array.isArray(body) || prototype === Object.prototype || prototype === null;
}

/**
 * preValidation hook: path parameters, and the query and parsed JSON body of a route that declares
 * them — what a route does not read (`GET /healthz?x=%00`) is not refused with a 400 it never
 * declared. Raw text bodies (CSV, webhook payloads) are their routes' to judge — a webhook's
 * signature is checked before anything else.
 */
export async function refuseUnstorableText(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema as { querystring?: unknown; body?: unknown } | undefined;
  const parts: Array<[string, unknown]> = [['params', request.params]];
  if (schema?.querystring !== undefined) parts.push(['query', request.query]);
  // Parsed JSON is arrays and plain objects; anything else (a streamed body: a request with its
  // socket and server behind it) is not data to walk. (Query and params are parsed text, though
  // their objects' prototypes are the parser's own.)
  if (schema?.body !== undefined && isParsedJson(request.body)) parts.push(['body', request.body]);
  for (const [part, value] of parts) {
    const path = findUnstorable(value, '', 0);
    if (path !== null) {
      const message = 'contains a NUL character or an unpaired surrogate';
      throw new DomainError('bad_request', 'invalid_text', `the request ${part} ${message}`, { errors: [{ path: path || part, message }] });
    }
  }
}
