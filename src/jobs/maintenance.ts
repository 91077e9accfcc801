// Housekeeping every worker runs: forget idempotency keys past their retention, drop stale
// rate-limit windows and finished jobs. All of it is idempotent and bounded.
import type { AppDeps } from '../app-deps.ts';
import { LOGIN_SOURCE_KNOWN_DAYS } from '../modules/accounts/service.ts';
import { pruneIdempotencyKeys } from '../modules/idempotency/service.ts';

const MAINTENANCE_EVERY_MS = 10 * 60 * 1000;
const DONE_JOBS_RETENTION_DAYS = 7;
const RATE_LIMIT_WINDOW_MAX_HOURS = 24;

export function registerMaintenance(deps: AppDeps): void {
  deps.worker.every('maintenance', MAINTENANCE_EVERY_MS, async ({ db, clock }) => {
    await pruneIdempotencyKeys(db, clock);
    await db.query(`DELETE FROM rate_limit_counters WHERE window_start < $1`, [
      new Date(clock.now().getTime() - RATE_LIMIT_WINDOW_MAX_HOURS * 3_600_000),
    ]);
    // Older than this an address no longer counts as the owner's own (accounts/service.ts).
    await db.query(`DELETE FROM login_sources WHERE last_success_at < now() - make_interval(days => $1)`, [LOGIN_SOURCE_KNOWN_DAYS]);
    await db.query(`DELETE FROM jobs WHERE status = 'done' AND updated_at < now() - make_interval(days => $1)`, [DONE_JOBS_RETENTION_DAYS]);
  });
}
