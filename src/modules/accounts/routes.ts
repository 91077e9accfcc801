import { ADMINS, actorOf, clearSessionCookies, guard, principalOf, setSessionCookies } from '../../http/auth.ts';
import { problemResponses } from '../../http/problem.ts';
import type { AppDeps } from '../../app-deps.ts';
import type { App } from '../../http/types.ts';
import { calendarFeedUrl } from '../calendar/service.ts';
import {
  apiTokenListSchema, createApiTokenBody, createStaffBody, createdApiTokenSchema, idParams, loginBody, noContent, registerBody, sessionResponse,
  meSchema, updateMeBody, userSchema,
} from './schemas.ts';
import {
  SESSION_TTL_DAYS, createApiToken, createStaffUser, getUser, listApiTokens, login, logout, register, revokeApiToken, updateProfile,
} from './service.ts';

const SESSION_TTL_SECONDS = SESSION_TTL_DAYS * 86_400;
const tags = ['auth'];
const adminTags = ['admin'];

export function accountsRoutes(app: App, deps: AppDeps): void {
  // Sessions, API tokens and login / registration budgets age on wall time (API.md: time travel logs nobody out).
  const { db, clock, wallClock } = deps;

  app.post('/api/v1/auth/register', {
    schema: { tags, body: registerBody, security: [], response: { 201: sessionResponse, ...problemResponses(400, 409, 413, 415, 422, 429) } },
  }, async (request, reply) => {
    const result = await register(db, wallClock, request.body, { ip: request.ip, perHour: deps.config.registerLimitPerHour });
    setSessionCookies(reply, deps, result.token, SESSION_TTL_SECONDS);
    return reply.code(201).send(result);
  });

  app.post('/api/v1/auth/login', {
    schema: { tags, body: loginBody, security: [], response: { 200: sessionResponse, ...problemResponses(400, 401, 413, 415, 429) } },
  }, async (request, reply) => {
    const { user, token } = await login(db, wallClock, { ...request.body, ip: request.ip });
    setSessionCookies(reply, deps, token, SESSION_TTL_SECONDS);
    return { user, token };
  });

  // Sessions only: an API token answers 400 not_a_session (an admin revokes those).
  app.post('/api/v1/auth/logout', {
    schema: { tags, description: 'Ends the current login session (bearer or cookie); refused for API tokens', response: { 204: noContent, ...problemResponses(400, 401, 403, 413, 415) } },
    onRequest: guard('anyone'),
  }, async (request, reply) => {
    await logout(db, wallClock, principalOf(request));
    clearSessionCookies(reply);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/me', { schema: { tags, response: { 200: meSchema, ...problemResponses(401) } }, onRequest: guard('anyone') }, async (request) => {
    const { userId } = principalOf(request);
    return { ...(await getUser(db, userId)), calendarFeedUrl: await calendarFeedUrl(db, deps.secretKey, { userId, now: clock.now(), publicUrl: deps.publicUrl() }) };
  });

  app.patch('/api/v1/me', {
    schema: { tags, body: updateMeBody, response: { 200: userSchema, ...problemResponses(400, 401, 403, 413, 415) } }, onRequest: guard('authenticated'),
  }, async (request) => updateProfile(db, principalOf(request).userId, request.body));

  app.post('/api/v1/admin/users', {
    schema: { tags: adminTags, body: createStaffBody, response: { 201: userSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422) } }, onRequest: guard(ADMINS),
  }, async (request, reply) => reply.code(201).send(await createStaffUser(db, clock, actorOf(request), request.body)));

  app.get('/api/v1/admin/api-tokens', {
    schema: { tags: adminTags, response: { 200: apiTokenListSchema, ...problemResponses(401, 403) } }, onRequest: guard(ADMINS),
  }, async () => ({ items: await listApiTokens(db), nextCursor: null }));

  app.post('/api/v1/admin/api-tokens', {
    schema: { tags: adminTags, body: createApiTokenBody, response: { 201: createdApiTokenSchema, ...problemResponses(400, 401, 403, 413, 415) } }, onRequest: guard(ADMINS),
  }, async (request, reply) => reply.code(201).send(await createApiToken(db, { app: clock, wall: wallClock }, actorOf(request), request.body)));

  app.delete('/api/v1/admin/api-tokens/:id', {
    schema: { tags: adminTags, params: idParams, response: { 204: noContent, ...problemResponses(400, 401, 403, 404) } }, onRequest: guard(ADMINS),
  }, async (request, reply) => {
    await revokeApiToken(db, clock, actorOf(request), request.params.id);
    return reply.code(204).send(null);
  });
}
