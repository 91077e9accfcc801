// The auto-renewal sweep on the application clock: notices, due charges and pending charges, a
// bounded number of batches per pass. Safe with many workers (renewals' UNIQUE and guarded UPDATEs).
// It runs inside the lifecycle's periodic task, just before it (app.ts composes the two), and hands
// the lifecycle the periods whose renewal is being paid: after a clock jump past a line's expiry the
// renewal is charged, and the line credited, before the lifecycle could suspend or recycle it.
import type { Logger } from 'pino';
import type { AppDeps } from '../../app-deps.ts';
import { drainInBatches } from '../../jobs/batches.ts';
import { RENEWAL_BATCH_MAX, renewalsInFlight, sweepRenewals } from './service.ts';

const SWEEP_BATCHES_PER_PASS_MAX = 20;

export interface RenewalsBeforeLapse {
  sweep(log: Logger): Promise<void>;
  held(now: Date): Promise<Array<{ lineId: string; periodEnd: Date }>>;
}

export function renewalsBeforeLapse(deps: AppDeps): RenewalsBeforeLapse {
  return {
    async sweep(log) {
      const renewalDeps = {
        db: deps.db, clock: deps.clock, secretKey: deps.secretKey, log, providers: deps.payments, publicUrl: deps.publicUrl,
        renewDaysBefore: deps.config.renewDaysBefore,
      };
      await drainInBatches(() => sweepRenewals(renewalDeps, log), RENEWAL_BATCH_MAX, SWEEP_BATCHES_PER_PASS_MAX);
    },
    held: (now) => renewalsInFlight(deps.db, now),
  };
}
