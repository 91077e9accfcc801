import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

// Moved to src/app-deps.ts; re-exported only until catalog/routes.ts (being split on another branch) imports it from there.
export type { AppDeps, RouteModule } from '../app-deps.ts';
