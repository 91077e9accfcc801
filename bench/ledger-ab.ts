// Two variants of the ledger, side by side: two fresh databases on the BENCH_DATABASE_URL server,
// both migrated, then each given its own SQL file (a changed function, a trigger left out, …),
// posting the same kind of batches in alternating windows so that the machine's drift falls on both.
// Prints journals/s and the CPU time per 100 journals of PostgreSQL's backends (/proc) and of this
// process: on a shared machine the CPU time holds up far better than the rate. Two identical sides
// differed by 6–12 % here, so a change needs more than that to count.
//   BENCH_DATABASE_URL=postgres://… A_SQL=a.sql B_SQL=b.sql node --import tsx bench/ledger-ab.ts
// AB_PER (100) journals per transaction, AB_CONNECTIONS (1) concurrent transactions per side,
// AB_WINDOW_MS (1500) per window, AB_ROUNDS (8) counted rounds after one uncounted warm-up round.
// Not part of `npm run bench` (it measures a difference, not the product); a tool for the ledger.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { openPostgres } from '../src/db/postgres.ts';
import { lastStatementOf, type Db } from '../src/db/types.ts';
import { clearingAccount, postJournals } from '../src/modules/ledger/service.ts';
import { LEDGER_ACCOUNTS, transfer } from './money-path.ts';
import { backendCpuMs, freshPostgresDatabase } from './support.ts';

const ACTOR = { userId: null, role: 'bench' } as const;
const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const PER_TX = setting('AB_PER', 100);
const CONNECTIONS = setting('AB_CONNECTIONS', 1);
const WINDOW_MS = setting('AB_WINDOW_MS', 1_500);
const ROUNDS = setting('AB_ROUNDS', 8);

interface Side {
  label: string;
  db: Db;
  admin: pg.Client;
  database: string;
  drop: () => Promise<void>;
  journals: number;
  ms: number;
  postgresCpuMs: number;
  nodeCpuMs: number;
}

async function openSide(label: string, sqlFile: string | undefined): Promise<Side> {
  const fresh = await freshPostgresDatabase();
  const db = await openPostgres(fresh.url);
  const admin = new pg.Client({ connectionString: fresh.url });
  try {
    await admin.connect();
    await migrate(db);
    if (sqlFile) await db.exec(readFileSync(sqlFile, 'utf8'));
    // Every account exists before timing starts (the first post of a pair creates both).
    for (let i = 0; i < LEDGER_ACCOUNTS; i += 2) {
      await db.transaction((tx) => postJournals(lastStatementOf(tx), [{
        idempotencyKey: `bench:open:${i}`, kind: 'bench_transfer', cause: { type: 'bench', id: 'open' }, postedAt: new Date(),
        lines: [{ account: clearingAccount(`bench-${i}`, 'USD'), amountMinor: -1 }, { account: clearingAccount(`bench-${i + 1}`, 'USD'), amountMinor: 1 }],
      }], ACTOR));
    }
  } catch (error) {
    await admin.end().catch(() => undefined);
    await db.close();
    await fresh.drop();
    throw error;
  }
  return { label, db, admin, database: new URL(fresh.url).pathname.slice(1), drop: fresh.drop, journals: 0, ms: 0, postgresCpuMs: 0, nodeCpuMs: 0 };
}

const sum = (m: Map<number, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** One window of batches on one side; added to its totals unless it is the warm-up. */
async function window(side: Side, counted: boolean): Promise<void> {
  const postgresBefore = sum(await backendCpuMs(side.admin, side.database));
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  let journals = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() - started < WINDOW_MS) {
      const batch = Array.from({ length: PER_TX }, transfer);
      await side.db.transaction((tx) => postJournals(lastStatementOf(tx), batch, ACTOR));
      journals += PER_TX;
    }
  }));
  if (!counted) return;
  side.ms += performance.now() - started;
  side.journals += journals;
  side.postgresCpuMs += sum(await backendCpuMs(side.admin, side.database)) - postgresBefore;
  const node = process.cpuUsage(nodeBefore);
  side.nodeCpuMs += (node.user + node.system) / 1000;
}

const sides: Side[] = [];
try {
  sides.push(await openSide('A', process.env.A_SQL), await openSide('B', process.env.B_SQL));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const side of sides) await window(side, round > 0);
  }
  console.log(`${PER_TX} journals per transaction, ${CONNECTIONS} concurrent, ${ROUNDS} × ${WINDOW_MS} ms per side`);
  for (const side of sides) {
    const per100 = (ms: number): string => ((ms / side.journals) * 100).toFixed(2);
    const sqlFile = side.label === 'A' ? process.env.A_SQL : process.env.B_SQL;
    console.log(`${side.label} (${sqlFile ?? 'migrations only'}): `
      + `${Math.round((side.journals / side.ms) * 1000).toLocaleString('en-US')} journals/s; CPU per 100 journals: `
      + `PostgreSQL ${per100(side.postgresCpuMs)} ms, Node ${per100(side.nodeCpuMs)} ms`);
  }
} finally {
  for (const side of sides) {
    await side.admin.end();
    await side.db.close();
    await side.drop();
  }
}
