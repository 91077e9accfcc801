import { ADMINS, STAFF, actorOf, clearSessionCookies, guard, principalOf, setSessionCookies } from '../../http/auth.ts';
import type { App, AppDeps } from '../../http/types.ts';
import { listAudit } from '../audit/service.ts';
import { auditQuery, createApiTokenBody, createStaffBody, idParams, loginBody, registerBody, updateMeBody } from './schemas.ts';
import {
  SESSION_TTL_DAYS, createApiToken, createStaffUser, getUser, listApiTokens, login, logout, register, revokeApiToken, updateProfile,
} from './service.ts';

const SESSION_TTL_SECONDS = SESSION_TTL_DAYS * 86_400;
const tags = ['auth'];

export function accountsRoutes(app: App, deps: AppDeps): void {
  const { db, clock } = deps;

  app.post('/api/v1/auth/register', { schema: { tags, body: registerBody, security: [] } }, async (request, reply) => {
    const result = await register(db, clock, request.body);
    setSessionCookies(reply, deps, result.token, SESSION_TTL_SECONDS);
    return reply.code(201).send(result);
  });

  app.post('/api/v1/auth/login', { schema: { tags, body: loginBody, security: [] } }, async (request, reply) => {
    const { user, token } = await login(db, clock, { ...request.body, ip: request.ip });
    setSessionCookies(reply, deps, token, SESSION_TTL_SECONDS);
    return { user, token };
  });

  app.post('/api/v1/auth/logout', { schema: { tags }, onRequest: guard('authenticated') }, async (request, reply) => {
    await logout(db, clock, principalOf(request).tokenId);
    clearSessionCookies(reply);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', { schema: { tags }, onRequest: guard('authenticated') }, async (request) =>
    getUser(db, principalOf(request).userId),
  );

  app.patch('/api/v1/me', { schema: { tags, body: updateMeBody }, onRequest: guard('authenticated') }, async (request) =>
    updateProfile(db, principalOf(request).userId, request.body),
  );

  app.post('/api/v1/admin/users', { schema: { tags: ['admin'], body: createStaffBody }, onRequest: guard(ADMINS) }, async (request, reply) =>
    reply.code(201).send(await createStaffUser(db, actorOf(request), request.body)),
  );

  app.get('/api/v1/admin/api-tokens', { schema: { tags: ['admin'] }, onRequest: guard(ADMINS) }, async () => ({
    items: await listApiTokens(db),
    nextCursor: null,
  }));

  app.post('/api/v1/admin/api-tokens', { schema: { tags: ['admin'], body: createApiTokenBody }, onRequest: guard(ADMINS) }, async (request, reply) =>
    reply.code(201).send(await createApiToken(db, clock, actorOf(request), request.body)),
  );

  app.delete('/api/v1/admin/api-tokens/:id', { schema: { tags: ['admin'], params: idParams }, onRequest: guard(ADMINS) }, async (request, reply) => {
    await revokeApiToken(db, clock, actorOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.get('/api/v1/admin/audit', { schema: { tags: ['admin'], querystring: auditQuery }, onRequest: guard(STAFF) }, async (request) => {
    const { actor, target, limit, cursor } = request.query;
    return listAudit(db, { actor, target, limit, cursor: cursor ? Number(cursor) : undefined });
  });
}
