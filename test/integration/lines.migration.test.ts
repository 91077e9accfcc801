// Migration 0007 (unique IMSI and MSISDN in SIM inventory) on a database that already holds
// duplicates: it must stop with a clear message, not drop or merge cards silently.
import { afterEach, expect, it } from 'vitest';
import { listMigrations, migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';
import { createPostgresDatabase, databaseKinds } from '../support/harness.ts';

const before0007 = listMigrations().filter((m) => m.version < 7);
const through0007 = listMigrations().filter((m) => m.version <= 7);
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function databaseAt0006(kind: 'pglite' | 'postgres'): Promise<Db> {
  let db: Db;
  if (kind === 'postgres') {
    const created = await createPostgresDatabase();
    db = await openPostgres(created.url);
    cleanups.push(async () => { await db.close(); await created.drop(); });
  } else {
    db = await openPglite(null);
    cleanups.push(() => db.close());
  }
  await migrate(db, before0007);
  await db.query(
    `INSERT INTO carriers (code, name, country, currency, validity_days, grace_days, suspend_days, keep_alive_rule, keep_alive_every_days, payg_rates)
     VALUES ('m-test', 'Migration test', 'US', 'USD', 30, 0, 30, 'recharge', 30, '{"default": {}}')`,
  );
  return db;
}

async function addSim(db: Db, n: number, imsi: string, msisdn: string | null): Promise<void> {
  await db.query(
    `INSERT INTO sims (id, iccid, imsi, msisdn, pin_hash, form, carrier_code) VALUES ($1, $2, $3, $4, 'x', 'physical', 'm-test')`,
    [`sim_m_${n}`, `89000000000000000${String(n).padStart(2, '0')}`, imsi, msisdn],
  );
}

for (const kind of databaseKinds()) {
  it(`[${kind}] refuses to migrate over duplicate IMSIs, naming one`, async () => {
    const db = await databaseAt0006(kind);
    await addSim(db, 1, '310260000000001', '+12125550001');
    await addSim(db, 2, '310260000000001', '+12125550002');
    await expect(migrate(db, through0007)).rejects.toThrow(/0007: 1 IMSI value\(s\) appear on more than one SIM \(e\.g\. 310260000000001\)/);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations WHERE version = 7');
    expect(rows[0]?.n).toBe(0);
  });

  it(`[${kind}] refuses to migrate over duplicate MSISDNs, but lets data-only profiles share none`, async () => {
    const db = await databaseAt0006(kind);
    await addSim(db, 1, '310260000000001', '+12125550001');
    await addSim(db, 2, '310260000000002', '+12125550001');
    await expect(migrate(db, through0007)).rejects.toThrow(/0007: 1 MSISDN value\(s\) appear on more than one SIM/);
    await db.query(`UPDATE sims SET msisdn = NULL`);
    await addSim(db, 3, '310260000000003', null);
    expect((await migrate(db, through0007)).applied).toEqual(['7_sims_unique_imsi_msisdn']);
    await expect(addSim(db, 4, '310260000000003', '+12125550009')).rejects.toMatchObject({ code: '23505' });
    await addSim(db, 5, '310260000000005', '+12125550005');
    await expect(addSim(db, 6, '310260000000006', '+12125550005')).rejects.toMatchObject({ code: '23505' });
  });
}
