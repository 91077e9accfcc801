// Usage rating throughput: the same workload (USAGE_BENCH_RECORDS records, default 200,000, over
// USAGE_BENCH_LINES lines, default 1,000, each with data/voice/SMS buckets) three ways in one run —
// one transaction per record (the baseline, on the first USAGE_BENCH_BASELINE records), batches of
// 5,000 in-process, and batches of 5,000 over HTTP JSON (two clients) — next to a plain
// `INSERT … SELECT generate_series` of the same number of rows into a scratch table on the same
// server (the raw-write ceiling). Then the RSS growth of a USAGE_BENCH_CSV-record (default
// 1,000,000) CSV feed streamed through ingestCsvStream, sampled every 100 ms.
import { Readable } from 'node:stream';
import { withLuhnCheckDigit } from '../src/domain/luhn.ts';
import { ingestCsvStream, ingestRecords, type RawRecord } from '../src/modules/usage/ingest.ts';
import { BENCH_ADMIN, ratio, startBenchServer } from './support.ts';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const BATCH = 5_000;

export async function benchUsage(kind: 'pglite' | 'postgres'): Promise<Record<string, unknown>> {
  const records = env('USAGE_BENCH_RECORDS', 200_000);
  const lineCount = env('USAGE_BENCH_LINES', 1_000);
  const baselineCount = env('USAGE_BENCH_BASELINE', 2_000);
  const csvCount = env('USAGE_BENCH_CSV', 1_000_000);
  const server = await startBenchServer(kind, { SIMKEEP_WORKER: '0' });
  const { db } = server.app.deps;
  const actor = { userId: null, role: 'bench' };
  const now = () => server.app.deps.clock.now();
  try {
    const owner = (await db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [BENCH_ADMIN.email])).rows[0]?.id ?? '';
    const iccids = Array.from({ length: lineCount }, (_, i) => withLuhnCheckDigit(`894411999${String(i).padStart(9, '0')}`));
    await db.query(
      `INSERT INTO sims (id, iccid, imsi, msisdn, pin_hash, form, carrier_code, status)
       SELECT 'sim_bu' || i, ic, '310999' || lpad(i::text, 9, '0'), NULL, 'x', 'physical', 'us-paygo', 'bound' FROM unnest($1::text[]) WITH ORDINALITY AS t(ic, i)`,
      [iccids]);
    await db.query(
      `INSERT INTO lines (id, sim_id, user_id, iccid, carrier_code, form, status, expires_at)
       SELECT 'line_bu' || i, 'sim_bu' || i, $2, ic, 'us-paygo', 'physical', 'active', now() + interval '30 days' FROM unnest($1::text[]) WITH ORDINALITY AS t(ic, i)`,
      [iccids, owner]);
    await db.query(
      `INSERT INTO buckets (id, line_id, unit, total, remaining, expires_at, source)
       SELECT 'bkt_bu' || l.id || u, l.id, u, 1e15, 1e15, now() + interval '30 days', 'plan'
         FROM lines l CROSS JOIN unnest(ARRAY['data', 'voice', 'sms']) AS u WHERE l.id LIKE 'line_bu%'`);
    const at = now().toISOString();
    const TYPES = ['data', 'voice', 'sms'] as const;
    const record = (tag: string, i: number): RawRecord => ({
      id: `${tag}-${i}`, iccid: iccids[i % lineCount], type: TYPES[i % 3], quantity: (i % 3 === 0 ? 1_000_000 : i % 3 === 1 ? 61 : 1) + (i % 7), startedAt: at,
    });

    let started = performance.now();
    for (let i = 0; i < baselineCount; i++) await ingestRecords(db, [record('base', i)], { now: now(), actor });
    const perRecord = baselineCount / ((performance.now() - started) / 1000);

    started = performance.now();
    for (let i = 0; i < records; i += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => record('batch', i + j));
      const r = await ingestRecords(db, batch, { now: now(), actor });
      if (r.accepted !== batch.length) throw new Error(`accepted ${r.accepted} of ${batch.length}: ${JSON.stringify(r.rejected.slice(0, 3))}`);
    }
    const batched = records / ((performance.now() - started) / 1000);

    const login = await fetch(`${server.base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ADMIN) });
    const token = ((await login.json()) as { token: string }).token;
    const bodies: string[] = [];
    for (let i = 0; i < records; i += BATCH) {
      bodies.push(JSON.stringify({ records: Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => record('http', i + j)) }));
    }
    started = performance.now();
    let next = 0;
    await Promise.all([0, 1].map(async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const r = await fetch(`${server.base}/api/v1/usage`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
      }
    }));
    const http = records / ((performance.now() - started) / 1000);

    await db.exec(`DROP TABLE IF EXISTS bench_usage_raw; CREATE TABLE bench_usage_raw (id text PRIMARY KEY, line_id text, type text, quantity bigint, started_at timestamptz)`);
    started = performance.now();
    await db.query(`INSERT INTO bench_usage_raw SELECT 'raw-' || g, 'line_bu' || (g % $2), 'data', g, now() FROM generate_series(1, $1) g`, [records, lineCount]);
    const raw = records / ((performance.now() - started) / 1000);
    await db.exec('DROP TABLE bench_usage_raw');

    // Memory: a CSV feed generated on the fly (never held whole), streamed through the ingest.
    const csv = Readable.from((function* () {
      yield 'id,iccid,type,quantity,startedAt\n';
      for (let i = 0; i < csvCount; i += 1000) {
        let chunk = '';
        for (let j = i; j < Math.min(i + 1000, csvCount); j++) {
          const r = record('csv', j);
          chunk += `${String(r.id)},${String(r.iccid)},${String(r.type)},${String(r.quantity)},${at}\n`;
        }
        yield chunk;
      }
    })());
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 100);
    started = performance.now();
    const summary = await ingestCsvStream(db, csv, { now, actor });
    const csvRate = summary.accepted / ((performance.now() - started) / 1000);
    clearInterval(sampler);

    return {
      workload: `${records} records over ${lineCount} lines (baseline on ${baselineCount})`,
      'per-record tx (baseline)': { recordsPerSecond: Math.round(perRecord) },
      'batched in-process': { recordsPerSecond: Math.round(batched), vsBaseline: ratio(batched, perRecord), vsRawInsert: ratio(batched, raw) },
      'batched HTTP JSON': { recordsPerSecond: Math.round(http), vsBaseline: ratio(http, perRecord) },
      'raw INSERT…SELECT (ceiling)': { rowsPerSecond: Math.round(raw) },
      [`CSV ${csvCount} records streamed`]: { recordsPerSecond: Math.round(csvRate), accepted: summary.accepted, rssGrowthMb: Math.round((rssPeak - rssBefore) / 1_048_576) },
    };
  } finally {
    await server.stop();
  }
}
