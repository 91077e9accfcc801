// The catalog's housekeeping: quotes are promises for 15 minutes, then history for a day; after
// that the cleanup deletes them (unless an order used one), in bounded batches, so POST /quotes
// cannot grow the table without end. Deleting is idempotent: two workers delete nothing twice.
import type { AppDeps } from '../../app-deps.ts';
import { drainInBatches } from '../../jobs/batches.ts';
import { QUOTE_CLEANUP_BATCH_MAX, deleteExpiredQuotes } from './quotes.ts';

const QUOTE_CLEANUP_EVERY_MS = 10 * 60 * 1000;
/** Batches one pass deletes at most; a backlog beyond it waits for the next pass. */
const QUOTE_CLEANUP_BATCHES_PER_PASS_MAX = 20;

export function catalogJobs(deps: AppDeps): void {
  deps.worker.every('catalog.quote-cleanup', QUOTE_CLEANUP_EVERY_MS, async ({ db, clock }) => {
    await drainInBatches(() => deleteExpiredQuotes(db, clock.now()), QUOTE_CLEANUP_BATCH_MAX, QUOTE_CLEANUP_BATCHES_PER_PASS_MAX);
  });
}
