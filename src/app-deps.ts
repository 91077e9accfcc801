// What the composition root (app.ts) builds once and hands to every module's routes and jobs.
// Use cases take narrowed parts of it (OrderDeps, RefundDeps, ProvisionDeps, WebhookDeps), never the
// whole; nothing in it changes once the server listens.
import type { Logger } from 'pino';
import type { CarrierAdapter } from './adapters/carriers/types.ts';
import type { Config } from './config.ts';
import type { Db } from './db/types.ts';
import type { Worker } from './jobs/worker.ts';
import type { AppClock, Clock } from './modules/clock/service.ts';
import type { PaymentOutcomes, PaymentProviders } from './modules/payments/service.ts';
import type { Deliver } from './modules/payments/sandbox-service.ts';
import type { App } from './http/types.ts';

export interface AppDeps {
  readonly config: Config;
  readonly db: Db;
  readonly clock: AppClock;
  /** Wall time: sessions, API tokens and login / PIN lockouts age on it, never on the sandbox clock. */
  readonly wallClock: Clock;
  /** 32 bytes: encryption at rest and signatures. */
  readonly secretKey: Buffer;
  readonly log: Logger;
  readonly worker: Worker;
  /**
   * The base URL people and providers reach: SIMKEEP_PUBLIC_URL, else the address the server bound
   * (known after listening; PORT=0 picks a free port). A function, so it is read when needed.
   */
  readonly publicUrl: () => string;
  /** The payment provider registry (configured providers, the sandbox when on). */
  readonly payments: PaymentProviders;
  /** How a provider's verified events are applied to orders (the orders module's settlement). */
  readonly paymentOutcomes: PaymentOutcomes;
  /** The carrier provisioning talks to: a router picking each line's carrier adapter (simulated or HTTP/JSON). */
  readonly carrier: CarrierAdapter;
  /** How the sandbox's webhooks reach the webhook route (inject while nothing listens, HTTP after). */
  readonly sandboxDelivery: Deliver;
}

/** A module's HTTP routes, registered by the composition root. */
export type RouteModule = (app: App, deps: AppDeps) => void;
