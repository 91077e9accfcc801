// Usage: carriers' usage records rated against lines. Owns `usage_records` (unique by id forever:
// a repeated id changes nothing; each keeps what it drew from each bucket, in the order drawn) and
// `usage_hourly` (the chart's rollup, written in the rating transaction). Buckets and lines are
// changed only through the lines module's set-based functions, money only through ledger journals.
// One transaction per batch, a fixed number of statements whatever its size: lines, buckets and
// wallets are locked in one global order each (lines → buckets → wallets), so concurrent batches
// touching the same line wait for each other instead of deadlocking or charging twice.
import { PG_SERIALIZATION_FAILURE, PG_UNIQUE_VIOLATION, PLANNED_PER_CALL, pgErrorCode, type Db, type Queryable } from '../../db/types.ts';
import { newId } from '../../domain/ids.ts';
import { arrayElement, elementsLiteral, integerArrayLiteral, textArrayLiteral } from '../../db/array-literal.ts';
import { rateRecord, type LineRatingState, type Rating, type RatingBucket, type UsageType } from '../../domain/rating.ts';
import type { Actor } from '../audit/service.ts';
import { accountCode, lockWalletBalances, postJournals, systemAccount, walletAccount, type JournalInput } from '../ledger/service.ts';
import { drawFromBuckets, flagLines, lockBucketsForUsage, lockLinesForUsage, recordUsageActivity, type UsageLine } from '../lines/service.ts';
import { notifyMany, type NotifyInput } from '../notifications/service.ts';

/** Records in one JSON request; CSV feeds are cut into chunks of this size, one transaction each. */
export const USAGE_BATCH_MAX = 10_000;
/** Allowance alert thresholds (percent used), each raised once per bucket. */
export const ALLOWANCE_ALERT_PERCENTS = [75, 90] as const;

export interface UsageRecordInput {
  /** Position in the request (0-based), for the rejected list. */
  index: number;
  id: string;
  iccid?: string | null;
  msisdn?: string | null;
  type: UsageType;
  quantity: number;
  startedAt: Date;
  zone?: string | null;
}

export interface UsageRejection {
  index: number;
  id: string | null;
  code: string;
  detail: string;
}

export interface BatchResult {
  accepted: number;
  duplicates: number;
  rejected: UsageRejection[];
}

const hourOf = (epochMs: number): number => Math.floor(epochMs / 3_600_000) * 3_600_000;

/** Rates and stores one batch of valid records in one transaction. */
export async function ingestUsageBatch(db: Db, records: readonly UsageRecordInput[], ctx: { now: Date; actor: Actor }): Promise<BatchResult> {
  if (records.length === 0) return { accepted: 0, duplicates: 0, rejected: [] };
  return db.transaction((tx) => ingestInTransaction(tx, records, ctx));
}

type Ctx = { now: Date; actor: Actor };
interface Matched { record: UsageRecordInput; line: UsageLine }
interface Rated {
  /** One entry per record, column by column: the insert's parameters. */
  rec: { id: string[]; line: string[]; type: string[]; qty: number[]; startedMs: number[]; zone: Array<string | null>; rated: number[];
    wallet: number[]; unfunded: number[]; charged: number[]; currency: string[]; journal: Array<string | null>;
    /** Per record, array literals quoted as elements: one parameter carries a list of any length per row. */
    drawBuckets: string[]; drawUnits: string[] };
  /** Units drawn per bucket over the whole batch. */
  perBucket: Map<string, number>;
  charges: Map<string, { line: UsageLine; minor: number }>;
  /** Per line, per hour (epoch ms). */
  rollup: Map<string, Map<number, RollupCell>>;
  activity: Map<string, Date>;
  unfundedLines: Set<string>;
}
interface RollupCell { data: number; voice: number; sms: number; charged: number; currency: string }

/** The steps of one batch, in the lock order of the module header: lines → buckets → wallets. */
async function ingestInTransaction(tx: Queryable, input: readonly UsageRecordInput[], ctx: Ctx): Promise<BatchResult> {
  const { records, duplicates: repeatedInBatch } = firstOccurrences(input);
  const { fresh, duplicates, rejected } = await matchLines(tx, records);
  if (fresh.length === 0) return { accepted: 0, duplicates: repeatedInBatch + duplicates, rejected };

  const usedLines = [...new Map(fresh.map((f) => [f.line.id, f.line])).values()];
  const since = new Date(Math.min(...fresh.map((f) => f.record.startedAt.getTime())));
  const buckets = await lockBucketsForUsage(tx, usedLines.map((l) => l.id), since);
  const wallets = await lockWalletBalances(tx, usedLines.map((l) => ({ userId: l.userId, currency: l.currency })));
  const states = ratingStates(usedLines, buckets, wallets);

  const batchId = newId('use');
  const rated = rateAll(fresh, states, batchId);
  await writeRated(tx, rated, ctx.now);
  await postCharges(tx, rated.charges, batchId, ctx);
  await recordUsageActivity(tx, [...rated.activity].map(([lineId, at]) => ({ lineId, at })), ctx.now);
  await flagLines(tx, [...rated.unfundedLines], ctx.now);
  await raiseAllowanceAlerts(tx, buckets, rated.perBucket, new Map(usedLines.map((l) => [l.id, l.userId])), ctx.now);
  return { accepted: rated.rec.id.length, duplicates: repeatedInBatch + duplicates, rejected };
}

/** A repeated id within the batch: the first occurrence is the record, later ones duplicates. */
function firstOccurrences(input: readonly UsageRecordInput[]): { records: UsageRecordInput[]; duplicates: number } {
  const seen = new Set<string>();
  const records: UsageRecordInput[] = [];
  for (const r of input) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    records.push(r);
  }
  return { records, duplicates: input.length - records.length };
}

/** Locks the records' lines and sets aside ids stored before (duplicates) and records of no live line. */
async function matchLines(tx: Queryable, records: readonly UsageRecordInput[]): Promise<{ fresh: Matched[]; duplicates: number; rejected: UsageRejection[] }> {
  const lines = await lockLinesForUsage(tx,
    [...new Set(records.flatMap((r) => (r.iccid ? [r.iccid] : [])))],
    [...new Set(records.flatMap((r) => (r.msisdn ? [r.msisdn] : [])))]);
  const byIccid = new Map<string, UsageLine>(lines.map((l) => [l.iccid, l]));
  const byMsisdn = new Map<string, UsageLine>(lines.flatMap((l) => (l.msisdn ? [[l.msisdn, l] as const] : [])));
  const known = new Set((await tx.query<{ id: string }>(`${PLANNED_PER_CALL}SELECT id FROM usage_records WHERE id = ANY($1::text[])`, [textArrayLiteral(records.map((r) => r.id))])).rows.map((r) => r.id));
  const fresh: Matched[] = [];
  const rejected: UsageRejection[] = [];
  let duplicates = 0;
  for (const record of records) {
    if (known.has(record.id)) {
      duplicates += 1;
      continue;
    }
    const line = (record.iccid ? byIccid.get(record.iccid) : undefined) ?? (record.msisdn ? byMsisdn.get(record.msisdn) : undefined);
    if (!line || (record.iccid && record.msisdn && line.msisdn !== record.msisdn && line.iccid !== record.iccid)) {
      rejected.push({ index: record.index, id: record.id, code: 'unknown_line', detail: 'no live line has this ICCID or MSISDN' });
      continue;
    }
    fresh.push({ record, line });
  }
  return { fresh, duplicates, rejected };
}

/** Each line's buckets and its owner's wallet (shared by the owner's lines in one currency). */
function ratingStates(usedLines: readonly UsageLine[], buckets: ReadonlyArray<RatingBucket & { lineId: string }>, wallets: ReadonlyMap<string, number>): Map<string, LineRatingState> {
  const states = new Map<string, LineRatingState>();
  const walletState = new Map<string, { balanceMinor: number }>();
  const byLine = new Map<string, RatingBucket[]>();
  for (const b of buckets) {
    const own = byLine.get(b.lineId) ?? [];
    own.push({ id: b.id, unit: b.unit, remaining: b.remaining, expiresAt: b.expiresAt, source: b.source });
    byLine.set(b.lineId, own);
  }
  for (const line of usedLines) {
    const code = accountCode(walletAccount(line.userId, line.currency));
    const wallet = walletState.get(code) ?? { balanceMinor: wallets.get(code) ?? 0 };
    walletState.set(code, wallet);
    states.set(line.id, { buckets: byLine.get(line.id) ?? [], wallet, paygRates: line.paygRates });
  }
  return states;
}

const journalKeyOf = (batchId: string, line: UsageLine): string => `usage:${batchId}:${accountCode(walletAccount(line.userId, line.currency))}`;

/** Rates the records in order against the in-memory states; collects every row the batch writes. */
function rateAll(fresh: readonly Matched[], states: ReadonlyMap<string, LineRatingState>, batchId: string): Rated {
  const out: Rated = {
    rec: {
      id: [], line: [], type: [], qty: [], startedMs: [], zone: [], rated: [], wallet: [], unfunded: [], charged: [], currency: [], journal: [],
      drawBuckets: [], drawUnits: [],
    },
    perBucket: new Map(), charges: new Map(), rollup: new Map(), activity: new Map(), unfundedLines: new Set(),
  };
  const { rec } = out;
  const journalKeys = new Map<string, string>();
  for (const { record, line } of fresh) {
    const state = states.get(line.id);
    if (!state) continue;
    const rating = rateRecord(state, record);
    const startedMs = record.startedAt.getTime();
    rec.id.push(record.id); rec.line.push(line.id); rec.type.push(record.type); rec.qty.push(record.quantity); rec.startedMs.push(startedMs);
    rec.zone.push(record.zone ?? null); rec.rated.push(rating.ratedUnits); rec.wallet.push(rating.walletUnits); rec.unfunded.push(rating.unfundedUnits);
    rec.charged.push(rating.chargedMinor); rec.currency.push(line.currency);
    pushDraws(rec, rating.draws);
    for (const d of rating.draws) out.perBucket.set(d.bucketId, (out.perBucket.get(d.bucketId) ?? 0) + d.units);
    if (rating.chargedMinor > 0) {
      let key = journalKeys.get(line.id);
      if (key === undefined) {
        key = journalKeyOf(batchId, line);
        journalKeys.set(line.id, key);
      }
      rec.journal.push(key);
      const charge = out.charges.get(key) ?? { line, minor: 0 };
      charge.minor += rating.chargedMinor;
      out.charges.set(key, charge);
    } else {
      rec.journal.push(null);
    }
    if (rating.status === 'unfunded') out.unfundedLines.add(line.id);
    if (record.quantity > 0) {
      const last = out.activity.get(line.id);
      if (!last || last.getTime() < startedMs) out.activity.set(line.id, record.startedAt);
    }
    addToRollup(out.rollup, line, record, startedMs, rating.chargedMinor);
  }
  return out;
}

/** The record's draws as two array literals, in the order drawn (most records draw from one bucket). */
function pushDraws(rec: Rated['rec'], draws: Rating['draws']): void {
  let ids = '{';
  let units = '{';
  for (let i = 0; i < draws.length; i++) {
    const d = draws[i];
    if (!d) continue;
    if (i > 0) {
      ids += ',';
      units += ',';
    }
    ids += arrayElement(d.bucketId);
    units += String(d.units);
  }
  // Each a nested literal, so an element of the text[] parameter: quoted, its own quotes escaped.
  rec.drawBuckets.push(ids.includes('"') ? arrayElement(`${ids}}`) : `"${ids}}"`);
  rec.drawUnits.push(`"${units}}"`);
}

function addToRollup(rollup: Rated['rollup'], line: UsageLine, record: UsageRecordInput, startedMs: number, chargedMinor: number): void {
  const hour = hourOf(startedMs);
  let hours = rollup.get(line.id);
  if (!hours) {
    hours = new Map();
    rollup.set(line.id, hours);
  }
  let cell = hours.get(hour);
  if (!cell) {
    cell = { data: 0, voice: 0, sms: 0, charged: 0, currency: line.currency };
    hours.set(hour, cell);
  }
  if (record.type === 'data') cell.data += record.quantity;
  else if (record.type === 'voice') cell.voice += record.quantity;
  else cell.sms += record.quantity;
  cell.charged += chargedMinor;
}

/**
 * Records (with their draws), bucket decrements and the hourly rollup: one set-based statement each.
 * A plain INSERT, not ON CONFLICT: the ids were checked under the lines' locks, so a unique
 * violation means another batch stored one of these ids meanwhile (same id, another line). Rated
 * here it would be charged twice: roll back, and the retry (as for a serialization failure) sees it
 * as the duplicate it is.
 */
const REPEATED = { repeated: true } as const;

async function writeRated(tx: Queryable, { rec, perBucket, rollup }: Rated, now: Date): Promise<void> {
  try {
    // Derived here, not sent: a record's bucket units (rated − wallet − unfunded) and its status
    // (unfunded when anything is); the table's CHECKs hold the same rules. started_at travels as
    // epoch milliseconds (exact: a JS date has no finer part).
    await tx.query(
      `INSERT INTO usage_records (id, line_id, type, quantity, started_at, zone, rated_units, bucket_units, wallet_units, unfunded_units,
                                  charged_minor, currency, status, journal_key, draw_bucket_ids, draw_units, ingested_at)
       SELECT id, line_id, type, quantity, timestamptz 'epoch' + started_ms * interval '1 millisecond', zone, rated_units,
              rated_units - wallet_units - unfunded_units, wallet_units, unfunded_units, charged_minor, currency,
              CASE WHEN unfunded_units > 0 THEN 'unfunded' ELSE 'rated' END, journal_key, draw_bucket_ids::text[], draw_units::bigint[], $15::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[],
                     $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[])
           AS v(id, line_id, type, quantity, started_ms, zone, rated_units, wallet_units, unfunded_units, charged_minor, currency, journal_key,
                draw_bucket_ids, draw_units)`,
      [textArrayLiteral(rec.id), textArrayLiteral(rec.line, REPEATED), textArrayLiteral(rec.type, REPEATED), integerArrayLiteral(rec.qty),
        integerArrayLiteral(rec.startedMs), textArrayLiteral(rec.zone, REPEATED), integerArrayLiteral(rec.rated), integerArrayLiteral(rec.wallet),
        integerArrayLiteral(rec.unfunded), integerArrayLiteral(rec.charged), textArrayLiteral(rec.currency, REPEATED), textArrayLiteral(rec.journal, REPEATED),
        elementsLiteral(rec.drawBuckets), elementsLiteral(rec.drawUnits), now],
    );
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw Object.assign(new Error('a usage record id was stored concurrently'), { code: PG_SERIALIZATION_FAILURE });
    throw error;
  }
  await drawFromBuckets(tx, [...perBucket].map(([bucketId, units]) => ({ bucketId, units })));

  const cells: Array<{ lineId: string; hour: number } & RollupCell> = [];
  for (const [lineId, hours] of rollup) for (const [hour, cell] of hours) cells.push({ lineId, hour, ...cell });
  await tx.query(
    `INSERT INTO usage_hourly AS h (line_id, hour, data_bytes, voice_sec, sms, charged_minor, currency)
     SELECT line_id, timestamptz 'epoch' + hour_ms * interval '1 millisecond', data_bytes, voice_sec, sms, charged_minor, currency
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
         AS v(line_id, hour_ms, data_bytes, voice_sec, sms, charged_minor, currency)
     ON CONFLICT (line_id, hour) DO UPDATE SET data_bytes = h.data_bytes + EXCLUDED.data_bytes, voice_sec = h.voice_sec + EXCLUDED.voice_sec,
       sms = h.sms + EXCLUDED.sms, charged_minor = h.charged_minor + EXCLUDED.charged_minor`,
    [textArrayLiteral(cells.map((c) => c.lineId), REPEATED), integerArrayLiteral(cells.map((c) => c.hour)), integerArrayLiteral(cells.map((c) => c.data)),
      integerArrayLiteral(cells.map((c) => c.voice)), integerArrayLiteral(cells.map((c) => c.sms)), integerArrayLiteral(cells.map((c) => c.charged)),
      textArrayLiteral(cells.map((c) => c.currency), REPEATED)],
  );
}

/** One journal per wallet charged in the batch, all in one postJournals call. */
async function postCharges(tx: Queryable, charges: Rated['charges'], batchId: string, { now, actor }: Ctx): Promise<void> {
  const journals: JournalInput[] = [...charges].map(([key, { line, minor }]) => ({
    idempotencyKey: key, kind: 'usage_charge', cause: { type: 'usage', id: batchId }, postedAt: now,
    description: `usage on line ${line.id}`,
    lines: [{ account: walletAccount(line.userId, line.currency), amountMinor: -minor }, { account: systemAccount('usage_revenue', line.currency), amountMinor: minor }],
  }));
  await postJournals(tx, journals, actor);
}

/** A bucket whose used share crossed 75 % or 90 % in this batch (once each: the dedupe key), all in one notifyMany. */
async function raiseAllowanceAlerts(
  tx: Queryable, buckets: ReadonlyArray<{ id: string; lineId: string; unit: string; total: number; remaining: number }>,
  perBucket: ReadonlyMap<string, number>, ownerOf: ReadonlyMap<string, string>, now: Date,
): Promise<void> {
  const alerts: NotifyInput[] = [];
  for (const bucket of buckets) {
    const drawn = perBucket.get(bucket.id);
    if (!drawn) continue;
    const usedBefore = bucket.total - bucket.remaining;
    const usedAfter = usedBefore + drawn;
    for (const percent of ALLOWANCE_ALERT_PERCENTS) {
      const threshold = (bucket.total * percent) / 100;
      if (usedBefore < threshold && usedAfter >= threshold) {
        alerts.push({
          now, userId: ownerOf.get(bucket.lineId) ?? '', kind: 'allowance_used', lineId: bucket.lineId, percent,
          data: { unit: bucket.unit }, dedupeKey: `allowance_used:${bucket.id}:${percent}`,
        });
      }
    }
  }
  if (alerts.length > 0) await notifyMany(tx, alerts);
}

export interface UsagePoint {
  at: Date;
  dataBytes: number;
  voiceSec: number;
  sms: number;
  chargedMinor: number;
  currency: string;
}

/** The line's usage per hour or day (UTC) in [from, to), from the rollup. */
export async function usageSeries(db: Queryable, lineId: string, range: { from: Date; to: Date; granularity: 'hour' | 'day' }): Promise<UsagePoint[]> {
  const { rows } = await db.query<{ at: Date; data_bytes: number; voice_sec: number; sms: number; charged_minor: number; currency: string }>(
    `SELECT date_trunc($4, hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS at, sum(data_bytes)::bigint AS data_bytes, sum(voice_sec)::bigint AS voice_sec, sum(sms)::bigint AS sms,
            sum(charged_minor)::bigint AS charged_minor, min(currency) AS currency
       FROM usage_hourly WHERE line_id = $1 AND hour >= $2 AND hour < $3
      GROUP BY 1 ORDER BY 1`,
    [lineId, range.from, range.to, range.granularity],
  );
  return rows.map((r) => ({ at: r.at, dataBytes: Number(r.data_bytes), voiceSec: Number(r.voice_sec), sms: Number(r.sms), chargedMinor: Number(r.charged_minor), currency: r.currency }));
}
