// The job queue is also the outbox: a job row is written in the same transaction as the state change
// that causes it (a paid order → a provisioning request), so the side effect can neither be lost nor
// happen for a change that rolled back. Workers claim due jobs with FOR UPDATE SKIP LOCKED.
import type { Db, Queryable } from '../db/types.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JobPayload = { [key: string]: JsonValue };

/** jobs.status: due or waiting, claimed by a worker, finished, or given up after its last attempt. */
export const JOB_STATUSES = ['pending', 'running', 'done', 'dead'] as const;

/**
 * Queue name → the payload its jobs carry. Each module declares its own queues beside the code that
 * enqueues them (`declare module '…/jobs/queue.ts' { interface JobPayloads { provisioning: {…} } }`),
 * so `enqueue` and `Worker.register` type-check a payload against its queue.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by each module's declaration
export interface JobPayloads {}
export type QueueName = keyof JobPayloads & string;

export interface EnqueueInput<Q extends QueueName = QueueName> {
  queue: Q;
  payload: JobPayloads[Q];
  /** Application-clock time it becomes due. */
  runAt: Date;
  /** When set, a second enqueue with the same key is a no-op (exactly one job per cause). */
  dedupeKey?: string;
  maxAttempts?: number;
}

export async function enqueue<Q extends QueueName>(tx: Queryable, job: EnqueueInput<Q>): Promise<void> {
  await tx.query(
    `INSERT INTO jobs (queue, payload, run_at, dedupe_key, max_attempts) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [job.queue, JSON.stringify(job.payload), job.runAt, job.dedupeKey ?? null, job.maxAttempts ?? 10],
  );
}

/** Many jobs in one statement (each as `enqueue` would write it: a repeated dedupe key is a no-op). */
export async function enqueueMany(tx: Queryable, jobs: ReadonlyArray<EnqueueInput>): Promise<void> {
  if (jobs.length === 0) return;
  await tx.query(
    `INSERT INTO jobs (queue, payload, run_at, dedupe_key, max_attempts)
     SELECT * FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[], $4::text[], $5::integer[])
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [jobs.map((j) => j.queue), jobs.map((j) => JSON.stringify(j.payload)), jobs.map((j) => j.runAt), jobs.map((j) => j.dedupeKey ?? null),
      jobs.map((j) => j.maxAttempts ?? 10)],
  );
}

export interface ClaimedJob {
  id: number;
  queue: string;
  payload: JobPayload;
  attempts: number;
  maxAttempts: number;
  /** The error of the attempt before this claim (a job re-claimed for its compensation carries its cause). */
  lastError: string | null;
}

/** `owner`: the claiming process's session tag (Db.sessionTag), so its death can be noticed (releaseOrphanedJobs). */
export async function claimDueJobs(
  db: Queryable, now: Date, queues: readonly string[], limit: number, lease: { seconds: number; owner: string },
): Promise<ClaimedJob[]> {
  const { rows } = await db.query<{ id: number; queue: string; payload: JobPayload; attempts: number; max_attempts: number; last_error: string | null }>(
    `UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $5,
            locked_until = now() + make_interval(secs => $4), updated_at = now()
      WHERE id IN (
        SELECT id FROM jobs
         WHERE queue = ANY($2::text[])
           AND ((status = 'pending' AND run_at <= $1) OR (status = 'running' AND locked_until < now()))
         ORDER BY run_at, id
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
      RETURNING id, queue, payload, attempts, max_attempts, last_error`,
    [now, queues, limit, lease.seconds, lease.owner],
  );
  return rows.map((r) => ({ id: r.id, queue: r.queue, payload: r.payload, attempts: r.attempts, maxAttempts: r.max_attempts, lastError: r.last_error }));
}

/** Owners checked per pass at most (each a liveness look-up); the rest wait for the next pass. */
const ORPHAN_OWNERS_PER_PASS_MAX = 20;

/**
 * Hands back at once the jobs leased by processes that are gone (their session is no longer
 * connected: `isSessionAlive`), by ending their lease now — the claim then takes them like any
 * expired lease, attempts and compensation rules unchanged. Returns how many were released.
 */
export async function releaseOrphanedJobs(db: Db): Promise<number> {
  const { rows } = await db.query<{ owner: string }>(
    `SELECT DISTINCT locked_by AS owner FROM jobs
      WHERE status = 'running' AND locked_by IS NOT NULL AND locked_by <> $1 LIMIT $2`,
    [db.sessionTag, ORPHAN_OWNERS_PER_PASS_MAX],
  );
  let released = 0;
  for (const { owner } of rows) {
    if (await db.isSessionAlive(owner)) continue;
    const result = await db.query(
      `UPDATE jobs SET locked_until = now() - interval '1 second', updated_at = now() WHERE status = 'running' AND locked_by = $1`,
      [owner],
    );
    released += result.rowCount;
  }
  return released;
}

export async function completeJob(db: Queryable, id: number): Promise<void> {
  await db.query(`UPDATE jobs SET status = 'done', locked_until = NULL, last_error = NULL, updated_at = now() WHERE id = $1`, [id]);
}

/** Retry later with exponential backoff, or give up into the dead-letter state. */
export async function failJob(db: Queryable, job: ClaimedJob, error: string, now: Date, backoffCapSeconds: number): Promise<'retry' | 'dead'> {
  if (job.attempts >= job.maxAttempts) {
    await buryJob(db, job.id, error);
    return 'dead';
  }
  await retryJob(db, job, error, now, backoffCapSeconds);
  return 'retry';
}

/** Due again after 2^attempts seconds (capped), in application-clock time. */
export async function retryJob(db: Queryable, job: ClaimedJob, error: string, now: Date, backoffCapSeconds: number): Promise<void> {
  const delaySeconds = Math.min(backoffCapSeconds, 2 ** Math.min(job.attempts, 20));
  await db.query(
    `UPDATE jobs SET status = 'pending', run_at = $2, locked_until = NULL, last_error = $3, updated_at = now() WHERE id = $1`,
    [job.id, new Date(now.getTime() + delaySeconds * 1000), error.slice(0, 2000)],
  );
}

/** The dead-letter state: nothing will run the job again. */
export async function buryJob(db: Queryable, id: number, error: string): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = 'dead', locked_until = NULL, last_error = $2, updated_at = now() WHERE id = $1`,
    [id, error.slice(0, 2000)],
  );
}

/** Keeps a running job's error on its row (its compensation, if the process dies in it, is re-run with it). */
export async function noteJobError(db: Queryable, id: number, error: string): Promise<void> {
  await db.query('UPDATE jobs SET last_error = $2, updated_at = now() WHERE id = $1', [id, error.slice(0, 2000)]);
}

/** The job's cause was settled another way: a pending job with this key will not run (a running one finishes). */
export async function cancelJob(tx: Queryable, dedupeKey: string): Promise<void> {
  await tx.query(
    `UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = now() WHERE dedupe_key = $1 AND status = 'pending'`,
    [dedupeKey],
  );
}
