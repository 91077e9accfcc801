// The lifecycle sweep: time moves lines from active to grace, suspended and recycled. Each pass
// advances the lines whose next transition is due (lines.lifecycle_due_at), a bounded number of
// batches at a time; advancing is idempotent, so two workers or a re-run change nothing twice.
// The same pass records the remainder of buckets whose expiry passed as expired.
import type { AppDeps } from '../../app-deps.ts';
import { drainInBatches } from '../../jobs/batches.ts';
import { BUCKET_EXPIRY_BATCH_MAX, LIFECYCLE_SWEEP_BATCH_MAX, advanceDueLines, expireDueBuckets } from './service.ts';

/** API.md: work that became due is picked up within 5 s. */
export const LIFECYCLE_SWEEP_EVERY_MS = 2_000;
const SWEEP_BATCHES_PER_PASS_MAX = 50;

export function linesJobs(deps: AppDeps): void {
  deps.worker.every('lines.lifecycle', LIFECYCLE_SWEEP_EVERY_MS, async ({ db, clock }) => {
    await drainInBatches(() => advanceDueLines(db, clock.now()), LIFECYCLE_SWEEP_BATCH_MAX, SWEEP_BATCHES_PER_PASS_MAX);
    await drainInBatches(() => expireDueBuckets(db, clock.now()), BUCKET_EXPIRY_BATCH_MAX, SWEEP_BATCHES_PER_PASS_MAX);
  });
}
