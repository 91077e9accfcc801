// Demo data for a newcomer's first `npm start`: every seed step is idempotent (fixed codes and ids,
// ON CONFLICT DO NOTHING), so SIMKEEP_DEMO=1 on every start changes nothing after the first.
// Modules add their step to DEMO_SEEDS in dependency order.
import type { Db } from '../db/types.ts';
import type { Clock } from '../modules/clock/service.ts';
import { seedDemoAccounts } from '../modules/accounts/seed.ts';
import { seedDemoLines } from '../modules/lines/seed.ts';
import { seedDemoCatalog } from '../modules/catalog/seed.ts';

export interface SeedContext {
  db: Db;
  clock: Clock;
  secretKey: Buffer;
}

export type SeedStep = (ctx: SeedContext) => Promise<void>;

const DEMO_SEEDS: ReadonlyArray<{ name: string; run: SeedStep }> = [
  { name: 'accounts', run: seedDemoAccounts },
  { name: 'lines', run: seedDemoLines },
  { name: 'catalog', run: seedDemoCatalog },
];

export async function seedDemo(ctx: SeedContext): Promise<string[]> {
  for (const step of DEMO_SEEDS) await step.run(ctx);
  return DEMO_SEEDS.map((s) => s.name);
}
