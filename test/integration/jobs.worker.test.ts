// The worker's dead-letter path: a job that runs out of attempts is compensated before it is marked
// dead, and a compensation that fails (or whose process died) is run again — never lost.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/queue.ts';
import { COMPENSATION_ATTEMPTS_MAX, Worker } from '../../src/jobs/worker.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';

// The test's own queues (one per recorder), declared like every module declares its queues.
declare module '../../src/jobs/queue.ts' {
  interface JobPayloads {
    [testQueue: `test_${string}`]: { n?: number };
  }
}

interface Recorder {
  queue: `test_${string}`;
  runs: number;
  compensations: string[];
  worker: Worker;
}

/** A worker of its own with one queue whose job always fails and whose compensation fails `failures` times. */
function failingQueue(ctx: TestContext, failures: number): Recorder {
  const rec: Recorder = { queue: `test_${randomUUID().slice(0, 8)}` as const, runs: 0, compensations: [], worker: new Worker(ctx.db, ctx.app.deps.clock, pino({ level: 'silent' })) };
  rec.worker.register(rec.queue, async () => {
    rec.runs++;
    throw new Error('carrier says no');
  }, async (_payload, _ctx, error) => {
    rec.compensations.push(error);
    if (rec.compensations.length <= failures) throw new Error('crashed while compensating');
  });
  return rec;
}

async function jobOf(ctx: TestContext, queue: string): Promise<{ status: string; attempts: number; last_error: string | null }> {
  const { rows } = await ctx.db.query<{ status: string; attempts: number; last_error: string | null }>('SELECT status, attempts, last_error FROM jobs WHERE queue = $1', [queue]);
  const row = rows[0];
  if (!row) throw new Error('job missing');
  return row;
}

/** Moves the sandbox clock past any backoff, then runs one pass of the recorder's worker. */
async function later(ctx: TestContext, rec: Recorder): Promise<void> {
  await ctx.advance(3_700);
  await rec.worker.tick();
}

forEachDatabase('the worker\'s dead letters', (get) => {
  it('compensates a job on its last failed attempt before marking it dead; a compensation that throws is run again', async () => {
    const ctx = get();
    const rec = failingQueue(ctx, 1);
    await enqueue(ctx.db, { queue: rec.queue, payload: { n: 1 }, runAt: ctx.app.deps.clock.now(), maxAttempts: 2 });
    await rec.worker.tick();
    expect([rec.runs, rec.compensations.length, (await jobOf(ctx, rec.queue)).status]).toEqual([1, 0, 'pending']);
    await later(ctx, rec);
    // Last attempt failed, the compensation threw: NOT dead — still due for its compensation.
    expect([rec.runs, rec.compensations]).toEqual([2, ['carrier says no']]);
    expect(await jobOf(ctx, rec.queue)).toMatchObject({ status: 'pending', last_error: 'carrier says no' });
    await later(ctx, rec);
    // Only the compensation runs again (with the job's own error), then the job is dead.
    expect([rec.runs, rec.compensations]).toEqual([2, ['carrier says no', 'carrier says no']]);
    expect((await jobOf(ctx, rec.queue)).status).toBe('dead');
    await later(ctx, rec);
    expect(rec.compensations).toHaveLength(2);
  });

  it('re-runs the compensation of a job whose process died in it (its lease ran out)', async () => {
    const ctx = get();
    const rec = failingQueue(ctx, 0);
    await ctx.db.query(
      `INSERT INTO jobs (queue, payload, run_at, status, attempts, max_attempts, locked_until, last_error)
       VALUES ($1, '{}', now(), 'running', 3, 3, now() - interval '1 second', 'carrier timed out')`,
      [rec.queue],
    );
    await rec.worker.tick();
    expect([rec.runs, rec.compensations]).toEqual([0, ['carrier timed out']]);
    expect((await jobOf(ctx, rec.queue)).status).toBe('dead');
  });

  it('gives up on a compensation that keeps failing after a bounded number of runs', async () => {
    const ctx = get();
    const rec = failingQueue(ctx, Number.MAX_SAFE_INTEGER);
    await enqueue(ctx.db, { queue: rec.queue, payload: {}, runAt: ctx.app.deps.clock.now(), maxAttempts: 1 });
    for (let i = 0; i < COMPENSATION_ATTEMPTS_MAX + 3; i++) await later(ctx, rec);
    expect([rec.runs, rec.compensations.length]).toEqual([1, COMPENSATION_ATTEMPTS_MAX]);
    expect((await jobOf(ctx, rec.queue)).status).toBe('dead');
  });
});
