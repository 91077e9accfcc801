// The lifecycle sweep: time moves lines from active to grace, suspended and recycled. Each pass
// advances the lines whose next transition is due (lines.lifecycle_due_at), a bounded number of
// batches at a time; advancing is idempotent, so two workers or a re-run change nothing twice.
// The same pass records the remainder of buckets whose expiry passed as expired.
//
// What must happen before a line lapses (auto-renewal) runs first in the same task, and the periods
// it is still paying for are held back: the order is fixed in every worker, whatever the clock did.
import type { Logger } from 'pino';
import type { AppDeps } from '../../app-deps.ts';
import { drainInBatches } from '../../jobs/batches.ts';
import { BUCKET_EXPIRY_BATCH_MAX, LIFECYCLE_SWEEP_BATCH_MAX, advanceDueLines, expireDueBuckets, type HeldPeriod } from './service.ts';

/** API.md: work that became due is picked up within 5 s. */
export const LIFECYCLE_SWEEP_EVERY_MS = 2_000;
const SWEEP_BATCHES_PER_PASS_MAX = 50;

/** Work that runs before every lifecycle pass, and the periods whose lapse it holds back. */
export interface BeforeLapse {
  sweep(log: Logger): Promise<void>;
  held(now: Date): Promise<HeldPeriod[]>;
}

export function linesJobs(deps: AppDeps, beforeLapse?: BeforeLapse): void {
  deps.worker.every('lines.lifecycle', LIFECYCLE_SWEEP_EVERY_MS, async ({ db, clock, log }) => {
    await beforeLapse?.sweep(log);
    const held = (await beforeLapse?.held(clock.now())) ?? [];
    await drainInBatches(() => advanceDueLines(db, clock.now(), held), LIFECYCLE_SWEEP_BATCH_MAX, SWEEP_BATCHES_PER_PASS_MAX);
    await drainInBatches(() => expireDueBuckets(db, clock.now()), BUCKET_EXPIRY_BATCH_MAX, SWEEP_BATCHES_PER_PASS_MAX);
  });
}
