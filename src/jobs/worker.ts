// The background worker: polls the queue for due jobs and runs periodic tasks. Any number of workers
// may run against one PostgreSQL server; claims use SKIP LOCKED and leases, so a job runs once at a
// time; a job whose worker died is picked up again as soon as that worker's database session is
// seen gone (within ORPHANS_CHECK_EVERY_MS), or after its lease if it hangs. Every job handler must be
// idempotent (a crash between its effect and `completeJob` runs it again). A job that runs out of
// attempts is compensated BEFORE it is marked dead: until its compensation (`onDead`) has completed,
// the job stays claimable — a compensation that throws is retried with backoff (bounded), and one
// whose process died is re-run once the lease expires — so no dead job is ever left uncompensated.
import type { Logger } from 'pino';
import type { Db } from '../db/types.ts';
import type { AppClock } from '../modules/clock/service.ts';
import { buryJob, claimDueJobs, completeJob, failJob, noteJobError, releaseOrphanedJobs, retryJob, type ClaimedJob, type JobPayload, type JobPayloads, type QueueName } from './queue.ts';

const POLL_INTERVAL_MS = 500;
const CLAIM_BATCH_MAX = 20;
const JOB_CONCURRENCY = 4;
/** A fallback for a worker that hangs while connected; a worker that died is noticed sooner (below). */
const LEASE_SECONDS = 120;
/**
 * How often a worker looks for jobs leased by processes that are gone (their database session
 * closed: kill -9, a crash) and takes them over. The first pass after a start does it at once, so
 * on the embedded database — one process — a restart resumes interrupted work immediately.
 */
const ORPHANS_CHECK_EVERY_MS = 2_000;
const BACKOFF_CAP_SECONDS = 3_600;
/** Jobs one pass runs at most; the rest wait for the next pass (half a second later). */
const DRAIN_JOBS_PER_PASS_MAX = 500;
/** Runs of a failing compensation before the job is buried anyway, loudly, for an operator. */
export const COMPENSATION_ATTEMPTS_MAX = 10;

export interface JobContext {
  db: Db;
  clock: AppClock;
  log: Logger;
  attempt: number;
  /** True on the job's last permitted attempt: a handler may compensate instead of throwing. */
  lastAttempt: boolean;
}

export type JobHandler<P = JobPayload> = (payload: P, ctx: JobContext) => Promise<void>;
export type PeriodicTask = (ctx: { db: Db; clock: AppClock; log: Logger }) => Promise<void>;

/**
 * The compensation run when a job's last attempt failed, before it is marked dead. Must be
 * idempotent: it runs again if it throws or its process dies midway.
 */
export type DeadLetterHandler<P = JobPayload> = (payload: P, ctx: JobContext, error: string) => Promise<void>;

export class Worker {
  private readonly handlers = new Map<string, { run: JobHandler; onDead?: DeadLetterHandler }>();
  private readonly periodic: Array<{ name: string; everyMs: number; run: PeriodicTask; lastRunMs: number }> = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private started = false;
  private stopped = false;
  private pokedWhileRunning = false;
  private orphansCheckedMs = 0;

  constructor(private readonly db: Db, private readonly clock: AppClock, private readonly log: Logger) {}

  /** The payload read back is the one `enqueue` type-checked for this queue (stored as JSON). */
  register<Q extends QueueName>(queue: Q, run: JobHandler<JobPayloads[Q]>, onDead?: DeadLetterHandler<JobPayloads[Q]>): void {
    this.handlers.set(queue, { run: run as JobHandler, onDead: onDead as DeadLetterHandler | undefined });
  }

  every(name: string, everyMs: number, run: PeriodicTask): void {
    this.periodic.push({ name, everyMs, run, lastRunMs: 0 });
  }

  start(): void {
    this.started = true;
    this.stopped = false;
    this.schedule(0, false);
  }

  /**
   * Runs a pass now — after the sandbox clock moved or a job was enqueued for immediate work. A poke
   * during a running pass is not lost: another pass (with every periodic task) follows it at once.
   */
  async poke(): Promise<void> {
    if (!this.started || this.stopped) return;
    if (this.running) {
      this.pokedWhileRunning = true;
      return;
    }
    this.schedule(0, true);
  }

  private schedule(delayMs: number, allPeriodic: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pass(allPeriodic), delayMs);
  }

  private async pass(allPeriodic: boolean): Promise<void> {
    this.timer = null;
    if (this.stopped || this.running) return;
    this.running = this.tick(allPeriodic).then(() => undefined).catch((error: unknown) => this.log.error({ err: error }, 'worker tick failed'));
    await this.running;
    this.running = null;
    if (this.stopped) return;
    const again = this.pokedWhileRunning;
    this.pokedWhileRunning = false;
    this.schedule(again ? 0 : POLL_INTERVAL_MS, again);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One pass: run due periodic tasks, then drain due jobs (bounded). The clock is not read from the
   * database here — a pass follows every enqueue, so that was a read per order: app.ts refreshes
   * the sandbox offset every second, and an advance made in this process is seen at once.
   * `allPeriodic` runs every periodic task regardless of its interval — after the sandbox clock
   * jumped, time-driven sweeps must see the new time at once.
   */
  async tick(allPeriodic = false): Promise<number> {
    const nowMs = Date.now();
    if (nowMs - this.orphansCheckedMs >= ORPHANS_CHECK_EVERY_MS) {
      this.orphansCheckedMs = nowMs;
      await this.releaseOrphans();
    }
    for (const task of this.periodic) {
      if (!allPeriodic && nowMs - task.lastRunMs < task.everyMs) continue;
      task.lastRunMs = nowMs;
      try {
        await task.run({ db: this.db, clock: this.clock, log: this.log });
      } catch (error) {
        this.log.error({ err: error, task: task.name }, 'periodic task failed');
      }
    }
    return this.drain();
  }

  /** Jobs a dead process held are taken over now rather than after their lease (LEASE_SECONDS). */
  private async releaseOrphans(): Promise<void> {
    try {
      const released = await releaseOrphanedJobs(this.db);
      if (released > 0) this.log.warn({ released }, 'jobs leased by a process that is gone: taken over');
    } catch (error) {
      this.log.error({ err: error }, 'checking for jobs of dead processes failed');
    }
  }

  /** Runs due jobs until none is left or the bound is reached; returns how many ran. */
  async drain(maxJobs = DRAIN_JOBS_PER_PASS_MAX): Promise<number> {
    let ran = 0;
    while (ran < maxJobs && !this.stopped) {
      const jobs = await claimDueJobs(this.db, this.clock.now(), [...this.handlers.keys()], CLAIM_BATCH_MAX, { seconds: LEASE_SECONDS, owner: this.db.sessionTag });
      if (jobs.length === 0) break;
      // Jobs of one batch are independent (each handler is idempotent and guards its own rows), so
      // a few run at once: most of a job's time is waiting on a provider, a carrier or the database.
      let next = 0;
      const lanes = Math.min(JOB_CONCURRENCY, jobs.length);
      await Promise.all(Array.from({ length: lanes }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++];
          if (job) await this.runOne(job);
        }
      }));
      ran += jobs.length;
    }
    return ran;
  }

  private async runOne(job: ClaimedJob): Promise<void> {
    const handler = this.handlers.get(job.queue);
    if (!handler) return;
    const ctx: JobContext = { db: this.db, clock: this.clock, log: this.log, attempt: job.attempts, lastAttempt: job.attempts >= job.maxAttempts };
    // Past its attempts, a job is claimed again only because its compensation has not completed.
    if (job.attempts > job.maxAttempts && handler.onDead) {
      await this.compensate(handler.onDead, job, ctx, job.lastError ?? 'failed');
      return;
    }
    try {
      await handler.run(job.payload, ctx);
      await completeJob(this.db, job.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (job.attempts < job.maxAttempts || !handler.onDead) {
        const outcome = await failJob(this.db, job, message, this.clock.now(), BACKOFF_CAP_SECONDS);
        this.log.warn({ queue: job.queue, jobId: job.id, attempt: job.attempts, outcome, error: message }, 'job failed');
        return;
      }
      this.log.warn({ queue: job.queue, jobId: job.id, attempt: job.attempts, error: message }, 'job failed for good: compensating');
      await noteJobError(this.db, job.id, message);
      await this.compensate(handler.onDead, job, ctx, message);
    }
  }

  /**
   * Compensation first, then the dead-letter mark: a crash in between leaves the job claimable
   * (running, its lease runs out), so the compensation is run again rather than lost. A failing
   * compensation must not abort the pass (other claimed jobs still run): it is retried with backoff.
   */
  private async compensate(onDead: DeadLetterHandler, job: ClaimedJob, ctx: JobContext, message: string): Promise<void> {
    try {
      await onDead(job.payload, ctx, message);
    } catch (error) {
      const compensationRuns = job.attempts - job.maxAttempts + 1;
      if (compensationRuns < COMPENSATION_ATTEMPTS_MAX) {
        this.log.error({ err: error, queue: job.queue, jobId: job.id, compensationRuns }, 'dead-letter compensation failed: retrying');
        await retryJob(this.db, job, message, this.clock.now(), BACKOFF_CAP_SECONDS);
        return;
      }
      this.log.error({ err: error, queue: job.queue, jobId: job.id, compensationRuns }, 'dead-letter compensation failed for good: needs an operator');
    }
    await buryJob(this.db, job.id, message);
  }
}
