// The auto-renewal sweep on the application clock: notices, due charges and pending charges, a
// bounded number of batches per pass. Safe with many workers (renewals' UNIQUE and guarded UPDATEs).
import type { AppDeps } from '../../app-deps.ts';
import { drainInBatches } from '../../jobs/batches.ts';
import { RENEWAL_BATCH_MAX, sweepRenewals } from './service.ts';

/** API.md: work that became due is picked up within 5 s. */
export const RENEWAL_SWEEP_EVERY_MS = 2_000;
const SWEEP_BATCHES_PER_PASS_MAX = 20;

export function renewalsJobs(deps: AppDeps): void {
  deps.worker.every('renewals.sweep', RENEWAL_SWEEP_EVERY_MS, async ({ log }) => {
    const renewalDeps = {
      db: deps.db, clock: deps.clock, secretKey: deps.secretKey, log, providers: deps.payments, publicUrl: deps.publicUrl,
      renewDaysBefore: deps.config.renewDaysBefore,
    };
    await drainInBatches(() => sweepRenewals(renewalDeps, log), RENEWAL_BATCH_MAX, SWEEP_BATCHES_PER_PASS_MAX);
  });
}
