// The reminder sweep: every pass sends the reminders that became due on the application clock
// (the sandbox clock in development), in bounded batches; the rest wait for the next pass.
import type { AppDeps } from '../../app-deps.ts';
import { drainInBatches } from '../../jobs/batches.ts';
import { REMINDER_SWEEP_BATCH_MAX, sendDueReminders } from './service.ts';

/** API.md: work that became due is picked up within 5 s. */
export const REMINDER_SWEEP_EVERY_MS = 2_000;
const SWEEP_BATCHES_PER_PASS_MAX = 50;

export function remindersJobs(deps: AppDeps): void {
  deps.worker.every('reminders.sweep', REMINDER_SWEEP_EVERY_MS, async ({ db, clock }) => {
    await drainInBatches(() => sendDueReminders(db, clock.now()), REMINDER_SWEEP_BATCH_MAX, SWEEP_BATCHES_PER_PASS_MAX);
  });
}
