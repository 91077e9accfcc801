// The HTTP server: Fastify with zod schemas (validation, types and OpenAPI 3.1 from one source),
// problem+json for every failure, request ids in every log line, Prometheus metrics per route.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { errorHandler, frameworkErrorHandler, problem, sendProblem } from './problem.ts';
import { registerAuthentication } from './auth.ts';
import { refuseUnstorableText } from './input-text.ts';
import type { App, AppDeps, RouteModule } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: ReadonlyArray<{ method: string; url: string; hidden: boolean }>;
  }
}

export const JSON_BODY_LIMIT_BYTES = 1024 * 1024;
export const CSV_BODY_LIMIT_BYTES = 64 * 1024 * 1024;
const REQUEST_ID_MAX_LENGTH = 128;

export async function buildServer(deps: AppDeps, modules: readonly RouteModule[]): Promise<App> {
  const app: App = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    trustProxy: false,
    routerOptions: { ignoreTrailingSlash: true },
    // A URL the router cannot decode or a path parameter over its length: problem+json like every error.
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  // An over-long or odd request id from a client is replaced, never logged raw.
  app.addHook('onRequest', async (request, reply) => {
    if (request.id.length > REQUEST_ID_MAX_LENGTH || !/^[\w.:-]+$/.test(request.id)) request.id = randomUUID();
    reply.header('x-request-id', request.id);
  });

  app.addHook('preValidation', refuseUnstorableText);

  // CSV bodies (SIM import, usage feeds) arrive as text; their routes set their own larger limit.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
  // Webhooks are verified over the exact bytes received: keep the raw JSON text beside the parsed body.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // Every route, so tests can prove the OpenAPI document lists them all.
  const routes: Array<{ method: string; url: string; hidden: boolean }> = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = Boolean((route.schema as { hide?: boolean } | undefined)?.hide);
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, hidden });
  });

  registerMetrics(app);
  await app.register(cookie);
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'simkeep API', version: '1', description: 'Prepaid line self-service and billing. See API.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  registerAuthentication(app, deps);

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.db.query('SELECT 1');
      return { status: 'ok' };
    } catch {
      return sendProblem(reply, problem(503, 'database_unavailable', 'the database does not answer'));
    }
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const register of modules) register(app, deps);
  return app;
}

function registerMetrics(app: App): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'simkeep_http_requests_total', help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
  });
  const duration = new Histogram({
    name: 'simkeep_http_request_duration_seconds', help: 'HTTP request latency by route',
    labelNames: ['method', 'route'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL: ids in paths would explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
