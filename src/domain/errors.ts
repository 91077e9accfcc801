// The closed vocabulary of expected failures. Use cases throw a DomainError carrying the stable API
// `code`; each kind has one HTTP status, in one table below (used by http/problem.ts and by the
// idempotency records, which keep a refusal's status for replays).
import type { z } from 'zod';

export type ErrorKind =
  | 'validation' // 422 (400 for malformed requests)
  | 'bad_request' // 400
  | 'unauthenticated' // 401
  | 'payment_required' // 402
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409
  | 'gone' // 410
  | 'locked' // 423
  | 'too_large' // 413
  | 'rate_limited' // 429
  | 'unavailable'; // 503

/** The HTTP status of each kind — the only such table. */
export const HTTP_STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  validation: 422,
  bad_request: 400,
  unauthenticated: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_large: 413,
  locked: 423,
  rate_limited: 429,
  unavailable: 503,
};

export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; [key: string]: unknown } = {},
  ) {
    super(message);
  }
}

export const notFound = (code: string, message: string): DomainError => new DomainError('not_found', code, message);
export const conflict = (code: string, message: string): DomainError => new DomainError('conflict', code, message);
export const validation = (code: string, message: string, errors?: FieldError[]): DomainError =>
  new DomainError('validation', code, message, errors ? { errors } : {});

/**
 * A zod rule's issues as field errors (API.md's 422 `errors`): the path dotted (`bundleModules.0.unit`),
 * one error per field — its first — as the console shows one message under each field.
 */
export function fieldErrorsOf(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const byPath = new Map<string, string>();
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    if (!byPath.has(path)) byPath.set(path, issue.message);
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}
