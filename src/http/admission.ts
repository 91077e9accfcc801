// Admission: requests are served in arrival order (FIFO), at most `inFlightMax` at once; the rest
// wait in a bounded queue. One that finds the queue full, or is not admitted within `queueWaitMs`,
// is answered 503 server_busy with Retry-After instead of hanging (issue 13: at 200 connections
// requests waited past 10 s with nothing logged). Requests overlap wherever one waits on real I/O —
// a PostgreSQL round trip, a provider call, password hashing on the thread pool — and without a
// bound each of them takes a share of the pool or the single embedded connection in turn, so all
// get slow together. A PGlite-only request answers through microtasks and would run to completion in
// the event-loop turn it was parsed in, leaving its backlog in the sockets where no queue sees it:
// an admitted request therefore yields one turn first (see registerAdmission).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { problem, sendProblem } from './problem.ts';
import type { App } from './types.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route is served at once, never queued or shed (GET /metrics: a scrape must see an overloaded server). */
    unqueued?: boolean;
  }
}

export interface AdmissionLimits {
  inFlightMax: number;
  queueMax: number;
  queueWaitMs: number;
}

export type ShedReason = 'queue_full' | 'waited_too_long';
type Outcome = 'admitted' | ShedReason | 'withdrawn';

/** One request's place: `outcome` settles once; `leave()` frees its slot or its place in the queue. */
interface Ticket {
  outcome: Promise<Outcome>;
  leave(): void;
}

interface Waiter {
  admit(): void;
  done: boolean;
}

/** At most this often a summary of shed requests is logged: under overload a line per request would add to it. */
const SHED_LOG_EVERY_MS = 1_000;

export class AdmissionQueue {
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];
  private waitingCount = 0;

  constructor(private readonly limits: AdmissionLimits) {}

  get queued(): number {
    return this.waitingCount;
  }

  get serving(): number {
    return this.inFlight;
  }

  enter(): Ticket {
    let state: 'waiting' | 'admitted' | 'left' = 'waiting';
    const release = (): void => {
      if (state === 'admitted') this.next();
      state = 'left';
    };
    if (this.inFlight < this.limits.inFlightMax && this.waitingCount === 0) {
      this.inFlight++;
      state = 'admitted';
      return { outcome: Promise.resolve('admitted'), leave: release };
    }
    if (this.waitingCount >= this.limits.queueMax) return { outcome: Promise.resolve('queue_full'), leave: release };
    let settle: (outcome: Outcome) => void = () => undefined;
    const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
    const waiter: Waiter = {
      done: false,
      admit: () => {
        clearTimeout(timer);
        state = 'admitted';
        settle('admitted');
      },
    };
    const giveUp = (why: Outcome): void => {
      if (waiter.done) return;
      waiter.done = true;
      this.waitingCount--;
      clearTimeout(timer);
      state = 'left';
      settle(why);
    };
    const timer = setTimeout(() => giveUp('waited_too_long'), this.limits.queueWaitMs);
    this.waiting.push(waiter);
    this.waitingCount++;
    return { outcome, leave: () => (state === 'waiting' ? giveUp('withdrawn') : release()) };
  }

  /** A slot came free: hand it to the longest waiting request still there, or give it back. */
  private next(): void {
    for (let waiter = this.waiting.shift(); waiter; waiter = this.waiting.shift()) {
      if (waiter.done) continue;
      waiter.done = true;
      this.waitingCount--;
      waiter.admit();
      return;
    }
    this.inFlight--;
  }
}

/**
 * Every request but the ones whose route says `config: { unqueued: true }` (GET /metrics: a scrape
 * must see an overloaded server) passes the queue in `onRequest`, before its body is read. The slot
 * is freed when the response is finished or the connection closes, whichever comes first.
 */
export function registerAdmission(app: App, limits: AdmissionLimits, log: Logger, onShed: (reason: ShedReason) => void): AdmissionQueue {
  const queue = new AdmissionQueue(limits);
  const retryAfterSeconds = Math.max(1, Math.ceil(limits.queueWaitMs / 1000));
  let shedSinceLog = 0;
  let lastLogMs = 0;
  const noteShed = (reason: ShedReason): void => {
    onShed(reason);
    shedSinceLog++;
    const nowMs = Date.now();
    if (nowMs - lastLogMs < SHED_LOG_EVERY_MS) return;
    log.warn({ shed: shedSinceLog, reason, queued: queue.queued, serving: queue.serving, limits }, 'server busy: requests shed with 503');
    shedSinceLog = 0;
    lastLogMs = nowMs;
  };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config.unqueued === true) return;
    const ticket = queue.enter();
    reply.raw.once('close', () => ticket.leave());
    const outcome = await ticket.outcome;
    if (outcome === 'admitted') {
      // Yield one event-loop turn before the handler runs. A request served only by the embedded
      // database answers through microtasks, so without this it runs to completion in the turn it
      // was parsed in, and the requests behind it wait unseen in the sockets — unordered, unbounded.
      // With it, the sockets are read between requests: new ones join the queue in arrival order,
      // and the wait bound above applies to them.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    // A client that left while waiting gets the same answer (to a closed socket), so no handler runs for it.
    if (outcome !== 'withdrawn') noteShed(outcome);
    reply.header('retry-after', String(retryAfterSeconds));
    return sendProblem(reply, problem(503, 'server_busy', outcome === 'queue_full'
      ? `${limits.queueMax} requests are already waiting; retry in ${retryAfterSeconds} s`
      : `the server could not take this request within ${limits.queueWaitMs} ms; retry in ${retryAfterSeconds} s`));
  });
  return queue;
}
