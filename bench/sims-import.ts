// SIM inventory import: N CSV rows (default 100,000) through importSims — the code behind
// POST /api/v1/admin/sims/import and `simkeep sims import` — against a baseline measured in the
// same run on the same database: ONE plain `INSERT … SELECT generate_series` of N rows of the
// same width into a scratch table with the same unique indexes as `sims` (ICCID, IMSI, MSISDN;
// migration 0007 added the last two). The ratio reads "the import takes X× the raw insert time"
// (parsing, validation, PIN hashing, AES-GCM, batching, CHECK constraints included).
import { randomInt } from 'node:crypto';
import { withLuhnCheckDigit } from '../src/domain/luhn.ts';
import { importSims } from '../src/modules/lines/import.ts';
import { startBenchServer } from './support.ts';

const SIMS_IMPORT_BENCH_ROWS = 100_000;

export interface ImportFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
}

function inventoryCsv(rows: number, prefix: string): string {
  const lines = ['iccid,imsi,msisdn,pin,form,carrier,activation_code'];
  for (let i = 0; i < rows; i++) {
    const n = String(i).padStart(9, '0');
    const esim = i % 2 === 0;
    lines.push([
      withLuhnCheckDigit(`${prefix}${n}`), `23499${n}0`, `+4477${n}`, '1234', esim ? 'esim' : 'physical', 'uk-keep',
      esim ? `LPA:1$smdp.example.com$BENCH-${prefix}-${n}` : '',
    ].join(','));
  }
  return lines.join('\n') + '\n';
}

const figures = (rows: number, startedMs: number): ImportFigures => {
  const seconds = (performance.now() - startedMs) / 1000;
  return { rows, seconds: Math.round(seconds * 1000) / 1000, rowsPerSecond: Math.round(rows / seconds) };
};

export async function benchSimsImport(kind: 'pglite' | 'postgres', rows = SIMS_IMPORT_BENCH_ROWS): Promise<Record<string, ImportFigures | string>> {
  const server = await startBenchServer(kind, { SIMKEEP_WORKER: '0' });
  const { db, secretKey } = server.app.deps;
  // A run-specific ICCID range, removed afterwards, so runs on a shared PostgreSQL never collide.
  const prefix = `8944110${String(randomInt(100, 1000))}`;
  try {
    const csv = inventoryCsv(rows, prefix);
    const importStartedMs = performance.now();
    const result = await importSims(db, secretKey, { userId: null, role: 'bench' }, csv);
    const imported = figures(result.imported, importStartedMs);
    if (result.imported !== rows) throw new Error(`imported ${result.imported} of ${rows} rows (${result.rejectedCount} rejected)`);

    await db.exec(`DROP TABLE IF EXISTS bench_sims_baseline;
      CREATE TABLE bench_sims_baseline (id text PRIMARY KEY, iccid text NOT NULL UNIQUE, imsi text NOT NULL, msisdn text,
        pin_hash text NOT NULL, form text NOT NULL, carrier_code text NOT NULL, activation_code_enc text);
      CREATE UNIQUE INDEX ON bench_sims_baseline (imsi);
      CREATE UNIQUE INDEX ON bench_sims_baseline (msisdn) WHERE msisdn IS NOT NULL`);
    const baselineStartedMs = performance.now();
    await db.query(
      `INSERT INTO bench_sims_baseline
       SELECT 'sim_' || g, '89' || lpad(g::text, 18, '0'), '23415' || lpad(g::text, 10, '0'), '+4477' || lpad(g::text, 9, '0'),
              md5(g::text) || md5(g::text), CASE WHEN g % 2 = 0 THEN 'esim' ELSE 'physical' END, 'uk-keep',
              CASE WHEN g % 2 = 0 THEN 'v1:' || encode(sha512(g::text::bytea), 'base64') END
         FROM generate_series(1, $1::int) AS g`,
      [rows],
    );
    const baseline = figures(rows, baselineStartedMs);
    return {
      'import (csv → importSims)': imported,
      'baseline INSERT generate_series': baseline,
      'import vs raw insert (time)': `${(imported.seconds / baseline.seconds).toFixed(2)}×`,
    };
  } finally {
    await db.exec('DROP TABLE IF EXISTS bench_sims_baseline').catch(() => undefined);
    await db.query(`DELETE FROM sims WHERE iccid LIKE $1 || '%'`, [prefix]).catch(() => undefined);
    await server.stop();
  }
}
