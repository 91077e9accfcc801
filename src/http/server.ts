// The HTTP server: Fastify with zod schemas (validation, types and OpenAPI 3.1 from one source),
// problem+json for every failure, request ids in every log line, Prometheus metrics per route.
import Fastify, { type FastifyBaseLogger, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { safeEqual } from '../modules/accounts/tokens.ts';
import { z } from 'zod';
import { errorHandler, frameworkErrorHandler, problem, problemResponses, sendProblem } from './problem.ts';
import { registerAdmission } from './admission.ts';
import { registerAuthentication } from './auth.ts';
import { clientErrorHandler } from './client-error.ts';
import { refuseUnstorableText } from './input-text.ts';
import { registerWebApp } from './web-app.ts';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts';
import type { AppDeps, RouteModule } from '../app-deps.ts';
import type { App } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    registeredRoutes: ReadonlyArray<{ method: string; url: string; hidden: boolean }>;
  }
}

/** Every body, JSON or text, unless its route says otherwise. */
const JSON_BODY_LIMIT_BYTES = 1024 * 1024;
/** For the routes that take bulk CSV (SIM import); they set it as their route-level `bodyLimit`. */
export const CSV_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

const opsTags = ['ops'];
/** Routes under this tag exist for sandbox mode only; production's OpenAPI document leaves them out. */
const SANDBOX_TAG = 'sandbox';

/** The OpenAPI document's outline; the validator test checks the rest against the OpenAPI 3.1 schema. */
const openApiDocumentSchema = z.object({
  openapi: z.string(),
  info: z.object({ title: z.string(), version: z.string() }).loose(),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
}).loose();

/** Whether the matched route declares a request body (then an empty JSON body is malformed). */
function routeTakesBody(request: FastifyRequest): boolean {
  return request.routeOptions.schema?.body !== undefined;
}

export async function buildServer(deps: AppDeps, modules: readonly RouteModule[]): Promise<App> {
  const app: App = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    // The id is chosen (and a client's sanitised) as the request is created, so the logger's
    // binding and request.id agree; requestIdHeader off so Fastify does not take the raw header.
    requestIdHeader: false,
    genReqId: requestIdOf,
    // SIMKEEP_TRUST_PROXY: the proxies whose X-Forwarded-For is believed (request.ip is then the
    // address the nearest untrusted hop presents); off by default — a direct client could forge it.
    trustProxy: deps.config.trustProxy === null ? false : deps.config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // A URL the router cannot decode or a path parameter over its length: problem+json like every error.
    frameworkErrors: frameworkErrorHandler,
    // Oversized headers, a bad Content-Length: refused by Node's parser, answered as problem+json.
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // What no route matches may be a page of the portal (a browser asking for HTML) or one of its files.
  const webApp = await registerWebApp(app);
  app.setNotFoundHandler((request, reply) =>
    webApp?.(request, reply) ?? sendProblem(reply, problem(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );

  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  const metrics = registerMetrics(app);
  // Before authentication and body parsing: a request waiting its turn has touched nothing yet.
  const shed = new Counter({ name: 'simkeep_http_shed_total', help: 'Requests answered 503 server_busy by admission', labelNames: ['reason'] as const, registers: [metrics] });
  registerAdmission(app, deps.config.admission, deps.log, (reason) => shed.inc({ reason }));

  app.addHook('preValidation', refuseUnstorableText);
  registerBodyParsers(app);
  recordRoutes(app, deps.config.env === 'production' || !deps.config.sandbox);

  await app.register(cookie);
  // What is answered to an authenticated caller, or what hands out a session (login, register), is
  // theirs alone: no shared or browser cache may keep it. Added after the cookie plugin, whose own
  // onSend writes the Set-Cookie header read here.
  app.addHook('onSend', async (request, reply) => {
    const personal = request.principal !== null || reply.hasHeader('set-cookie');
    if (personal && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  await app.register(helmet, { contentSecurityPolicy: false, global: true });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'simkeep API', version: '1', description: 'Prepaid line self-service and billing. See API.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  registerAuthentication(app, deps);

  registerOpsRoutes(app, deps, metrics);
  for (const register of modules) register(app, deps);
  return app;
}

/** JSON, CSV and form bodies as the routes expect them. */
function registerBodyParsers(app: App): void {
  // JSON as Fastify parses it (prototype poisoning refused), except that an empty body is no body
  // where the route takes none: `POST /auth/logout` with a JSON content type and nothing in it is fine.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '' && !routeTakesBody(request)) {
      done(null, undefined);
      return;
    }
    parseJson(request, text, done);
  });
  // CSV bodies (SIM import, usage feeds) arrive as text, within the server's 1 MiB unless the route
  // sets a larger `bodyLimit` — so an unauthenticated route never buffers more than that.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
}

/**
 * Every route, so tests can prove the OpenAPI document lists them all. `hideSandbox`: in production
 * (or with the sandbox off) the sandbox routes answer 404, so the document does not offer them.
 */
function recordRoutes(app: App, hideSandbox: boolean): void {
  const routes: Array<{ method: string; url: string; hidden: boolean }> = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const tags = (route.schema as { tags?: readonly string[] } | undefined)?.tags ?? [];
    if (hideSandbox && tags.includes(SANDBOX_TAG)) route.schema = { ...route.schema, hide: true };
    // Any path parameter longer than an id is refused before the handler (414, frameworkErrors):
    // every route with one says so, rather than each route file repeating it.
    // And every route that authenticates (401) can refuse a role (403: the one guard refuses partner
    // tokens on subscriber routes and customers on staff routes). And every queued route can shed
    // (503 server_busy, admission.ts).
    // Fastify reads a body on every method but GET and HEAD, whatever the route expects: a body
    // over the limit (413), of a type no parser takes (415) or that does not parse (400
    // malformed_json) is refused before the route runs — even on a route that reads no body.
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (response) {
      const queued = route.config?.unqueued !== true;
      const readsBody = methods.some((m) => m !== 'GET' && m !== 'HEAD');
      const implied = [
        ...(route.url.includes(':') && !response[414] ? [414] : []),
        ...(response[401] && !response[403] ? [403] : []),
        ...(readsBody && !response[400] ? [400] : []),
        ...(readsBody && !response[413] ? [413] : []),
        ...(readsBody && !response[415] ? [415] : []),
        ...(queued && !response[503] ? [503] : []),
      ];
      if (implied.length > 0) route.schema = { ...route.schema, response: { ...response, ...problemResponses(...implied) } };
    }
    const hidden = Boolean((route.schema as { hide?: boolean } | undefined)?.hide);
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, hidden });
  });
}

/** /healthz, /metrics and this document. After swagger's registration: it documents only the routes added once it is there. */
function registerOpsRoutes(app: App, deps: AppDeps, metrics: Registry): void {
  const healthSchema = {
    tags: opsTags, security: [], description: '200 when the database answers',
    response: { 200: z.object({ status: z.literal('ok') }), ...problemResponses(503) },
  };
  app.get('/healthz', { schema: healthSchema }, async (_request, reply) => {
    try {
      await deps.db.query('SELECT 1');
      return { status: 'ok' as const };
    } catch {
      return sendProblem(reply, problem(503, 'database_unavailable', 'the database does not answer'));
    }
  });
  const metricsSchema = {
    tags: opsTags, security: [],
    description: 'Prometheus text exposition: request counts and latency per route, process metrics. With SIMKEEP_METRICS_TOKEN it needs that bearer token; in production without it, 404',
    response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } }, ...problemResponses(401, 404) },
  };
  const metricsToken = deps.config.metricsToken;
  const metricsOpen = metricsToken === null && deps.config.env !== 'production';
  app.get('/metrics', { schema: metricsSchema, config: { ownCredential: true, unqueued: true } }, async (request, reply) => {
    if (metricsToken === null && !metricsOpen) {
      return sendProblem(reply, problem(404, 'not_found', `no route ${request.method} /metrics`));
    }
    if (metricsToken !== null) {
      const sent = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (sent === undefined || !safeEqual(sent, metricsToken)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        return sendProblem(reply, problem(401, 'unauthenticated', 'GET /metrics needs Authorization: Bearer <SIMKEEP_METRICS_TOKEN>'));
      }
    }
    reply.type(metrics.contentType);
    return metrics.metrics();
  });
  const openapiSchema = { tags: opsTags, security: [], description: 'This document (OpenAPI 3.1)', response: { 200: openApiDocumentSchema } };
  // swagger() is typed for OpenAPI 2 and 3 alike; this server only builds 3.1, which the outline confirms.
  app.get('/api/v1/openapi.json', { schema: openapiSchema }, async () => openApiDocumentSchema.parse(app.swagger()));
}

/** Request counters and latency per route pattern; the registry is served at GET /metrics. */
function registerMetrics(app: App): Registry {
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
  return registry;
}
