import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Db } from '../db/types.ts';
import type { Worker } from '../jobs/worker.ts';
import type { AppClock } from '../modules/clock/service.ts';

export type App = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, ZodTypeProvider>;

/** What every module's routes and jobs receive from the composition root. */
export interface AppDeps {
  config: Config;
  db: Db;
  clock: AppClock;
  /** 32 bytes: encryption at rest and signatures. */
  secretKey: Buffer;
  log: Logger;
  worker: Worker;
}

export type RouteModule = (app: App, deps: AppDeps) => void;
