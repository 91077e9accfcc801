// The catalog every order is priced with — plans by id and the automatic promotions — kept per
// process and database, because it changes rarely and each order would otherwise read it again. A
// change is seen at once by the process that made it (its writes go through changeCatalog) and by
// every other process within CATALOG_VERSION_CHECK_EVERY_MS: the first read after that interval
// compares catalog_version (migration 0028, moved by triggers in the changing transaction) and
// drops the copy when it moved. Promotions' redemption counters are never taken from here
// (redemptionCounts reads them fresh for the promotions that have a limit).
import type { Db, Queryable } from '../../db/types.ts';
import type { Plan, StoredPromotion } from './store.ts';

/** How stale another process's catalog change may be seen here, at most. */
export const CATALOG_VERSION_CHECK_EVERY_MS = 1_000;
/** Plans kept per database; a catalog is far smaller (the rest is read each time). */
const CACHED_PLANS_MAX = 1_000;

interface CatalogCopy {
  version: number | null;
  generation: number;
  checkedAtMs: number;
  plans: Map<string, Plan>;
  /** The active automatic promotions (no coupon asked for), or null until read. */
  automatic: StoredPromotion[] | null;
}

/** Bumped by this process's own catalog writes: every copy it holds is dropped at once. */
let generation = 0;
const copies = new WeakMap<Db, CatalogCopy>();

/**
 * Runs a catalog write in its own transaction; this process forgets its copies once it ended
 * (committed or not), so its next order sees the change.
 */
export async function changeCatalog<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(fn);
  } finally {
    generation++;
  }
}

const isDb = (q: Queryable): q is Db => 'transaction' in q && 'sessionTag' in q;

/**
 * This database's copy, current to within CATALOG_VERSION_CHECK_EVERY_MS; null for a transaction
 * (a read inside one goes to the database).
 */
async function copyFor(q: Queryable): Promise<CatalogCopy | null> {
  if (!isDb(q)) return null;
  const nowMs = Date.now();
  let copy = copies.get(q);
  if (!copy || copy.generation !== generation) {
    copy = { version: null, generation, checkedAtMs: 0, plans: new Map(), automatic: null };
    copies.set(q, copy);
  }
  if (nowMs - copy.checkedAtMs >= CATALOG_VERSION_CHECK_EVERY_MS) {
    // One request checks; the others arriving meanwhile use the copy, at most a second old anyway.
    copy.checkedAtMs = nowMs;
    const checking = copy;
    const version = await q.query<{ version: number }>('SELECT version FROM catalog_version WHERE id = 1').then(
      ({ rows }) => rows[0]?.version ?? null,
      (error: unknown) => {
        checking.checkedAtMs = 0;
        throw error;
      },
    );
    if (version !== checking.version) {
      checking.plans.clear();
      checking.automatic = null;
      checking.version = version;
    }
  }
  return copy;
}

/**
 * The plan and the automatic promotions from this process's copy when it holds both; otherwise
 * `read` (one statement) fills it. A coupon's promotions are always read (codes are the caller's input).
 */
export async function cachedPlanAndPromotions(
  q: Queryable, planId: string, couponCode: string | null,
  read: () => Promise<{ plan: Plan | null; promotions: StoredPromotion[] }>,
): Promise<{ plan: Plan | null; promotions: StoredPromotion[] }> {
  const copy = couponCode === null ? await copyFor(q) : null;
  if (!copy) return read();
  const generationAtRead = generation;
  const plan = copy.plans.get(planId);
  if (plan && copy.automatic) return { plan, promotions: copy.automatic };
  const fresh = await read();
  // A write of this process that ended meanwhile may not be in what was read: keep nothing then.
  if (generationAtRead !== generation || copy.generation !== generation) return fresh;
  if (fresh.plan && copy.plans.size < CACHED_PLANS_MAX) copy.plans.set(planId, fresh.plan);
  if (fresh.plan) copy.automatic = fresh.promotions;
  return fresh;
}
