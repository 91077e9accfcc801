// Authentication and the single authorization guard. A request is authenticated by a bearer token
// (API clients, partner systems) or by the portal's session cookie; an unsafe request authenticated
// by cookie must also carry the CSRF header (double submit, the expected value derived from the
// session token by HMAC), so another site cannot make the browser act for the user.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { DomainError } from '../domain/errors.ts';
import { authenticate, type Principal, type Role } from '../modules/accounts/service.ts';
import { csrfTokenFor, safeEqual } from '../modules/accounts/tokens.ts';
import type { AppDeps } from '../app-deps.ts';
import type { App } from './types.ts';

const SESSION_COOKIE = 'simkeep_session';
const CSRF_COOKIE = 'simkeep_csrf';
const CSRF_HEADER = 'x-csrf-token';

export const STAFF: readonly Role[] = ['operator', 'admin'];
export const PARTNERS: readonly Role[] = ['carrier', 'operator', 'admin'];
export const ADMINS: readonly Role[] = ['admin'];
/**
 * Who may act as a subscriber (lines, binding, quotes, orders, wallet, profile): everyone but a
 * partner. A `carrier` token is a partner system's credential and reaches only the partner interface.
 */
const SUBSCRIBERS: readonly Role[] = ['customer', 'operator', 'admin'];

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The route checks its own credential (GET /metrics: SIMKEEP_METRICS_TOKEN), not a user's token. */
    ownCredential?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

/** A route documented with `security: []` (health, login, provider webhooks, the sandbox) asks for no credential. */
function isPublic(request: FastifyRequest): boolean {
  const security = (request.routeOptions.schema as { security?: unknown } | undefined)?.security;
  return Array.isArray(security) && security.length === 0;
}

/**
 * Runs on every request before its body is read or validated (onRequest), so a protected route
 * answers 401/403 to a caller it does not admit whatever the body, and never parses a stranger's upload.
 * A path no route matches is skipped: it answers 404 whatever the credentials, without a token lookup.
 * A public route is skipped too: it declares no 401, and a client's stale or malformed Authorization
 * header must not stop a health check, a login or a provider's notification.
 */
export function registerAuthentication(app: App, deps: AppDeps): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.is404 || request.routeOptions.config.ownCredential === true || isPublic(request)) return;
    const bearer = bearerToken(request);
    if (request.headers.authorization !== undefined && !bearer) {
      throw new DomainError('unauthenticated', 'unauthenticated', 'the Authorization header must be "Bearer <token>"');
    }
    if (bearer) {
      const principal = await authenticate(deps.db, deps.wallClock, bearer);
      if (!principal) throw new DomainError('unauthenticated', 'unauthenticated', 'the token is unknown, expired or revoked');
      request.principal = principal;
      return;
    }
    const cookieToken = request.cookies[SESSION_COOKIE];
    if (!cookieToken) return;
    const principal = await authenticate(deps.db, deps.wallClock, cookieToken);
    if (!principal) return; // a stale cookie is simply "not logged in"
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !safeEqual(sent, csrfTokenFor(deps.secretKey, cookieToken))) {
        throw new DomainError('forbidden', 'csrf_token_invalid', `cookie-authenticated requests must send the ${CSRF_HEADER} header`);
      }
    }
    request.principal = principal;
  });
}

export function setSessionCookies(reply: FastifyReply, deps: AppDeps, token: string, maxAgeSeconds: number): void {
  const secure = deps.publicUrl().startsWith('https://');
  reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeSeconds });
  reply.setCookie(CSRF_COOKIE, csrfTokenFor(deps.secretKey, token), { path: '/', httpOnly: false, sameSite: 'lax', secure, maxAge: maxAgeSeconds });
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
  reply.clearCookie(CSRF_COOKIE, { path: '/' });
}

/**
 * The one authorization guard: `'authenticated'` admits any logged-in subscriber (SUBSCRIBERS: not
 * a partner's `carrier` token), `'anyone'` every authenticated principal (who am I, logout), a list
 * those roles only; others get 403 `forbidden`. Routes attach it as their `onRequest` hook: it runs
 * after the authentication hook and before the body is parsed or validated. Object-level checks (is
 * this line yours?) live in the use cases, which answer 404 for other users' objects.
 */
export function guard(allowed: readonly Role[] | 'authenticated' | 'anyone'): onRequestAsyncHookHandler {
  const roles = allowed === 'authenticated' ? SUBSCRIBERS : allowed;
  return async (request: FastifyRequest) => {
    const principal = request.principal;
    if (!principal) throw new DomainError('unauthenticated', 'unauthenticated', 'log in or send a bearer token');
    if (roles !== 'anyone' && !roles.includes(principal.role)) {
      throw new DomainError('forbidden', 'forbidden', 'your role may not do this');
    }
  };
}

/** The authenticated principal of a guarded route. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new DomainError('unauthenticated', 'unauthenticated', 'log in or send a bearer token');
  return request.principal;
}

export function actorOf(request: FastifyRequest): { userId: string; role: Role; requestId: string } {
  const p = principalOf(request);
  return { userId: p.userId, role: p.role, requestId: request.id };
}
