// Getting usage records in: each raw record (a JSON object or a CSV row) checked with a reason,
// and CSV feeds of any length read as a stream and rated in chunks, one transaction each, so
// memory stays bounded by the chunk, not the file.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type { Db } from '../../db/types.ts';
import { parseIccid } from '../../domain/iccid.ts';
import { parseMsisdn } from '../../domain/msisdn.ts';
import { USAGE_TYPES, type UsageType } from '../../domain/rating.ts';
import type { Actor } from '../audit/service.ts';
import { ingestUsageBatch, USAGE_BATCH_MAX, type UsageRecordInput, type UsageRejection } from './service.ts';

/** Rejections listed in one answer; `rejectedCount` counts them all. */
export const REJECTED_LIST_MAX = 1_000;
export const USAGE_ID_MAX_CHARS = 128;
/** A single record larger than this (1 TiB of data, a 31-day call, 1M SMS) is a unit mistake. */
const QUANTITY_MAX: Record<UsageType, number> = { data: 2 ** 40, voice: 31 * 86_400, sms: 1_000_000 };
const ZONE_SHAPE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export type RawRecord = Record<string, unknown>;

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/**
 * ICCIDs and MSISDNs already parsed in this batch: a feed names the same lines over and over, and
 * parsing one (Luhn, E.164) cost more than the rest of a record's checks. One per batch or chunk,
 * so it stays as small as the batch.
 */
export interface LineRefMemo {
  iccid: Map<string, ReturnType<typeof parseIccid>>;
  msisdn: Map<string, ReturnType<typeof parseMsisdn>>;
}
export const newLineRefMemo = (): LineRefMemo => ({ iccid: new Map(), msisdn: new Map() });

function memoized<T>(memo: Map<string, T> | undefined, input: string, parse: (input: string) => T): T {
  if (!memo) return parse(input);
  let parsed = memo.get(input);
  if (parsed === undefined) {
    parsed = parse(input);
    memo.set(input, parsed);
  }
  return parsed;
}

/** Checks one record; the reason names the field. */
export function validateRecord(raw: RawRecord, index: number, memo?: LineRefMemo): { ok: true; record: UsageRecordInput } | { ok: false; rejection: UsageRejection } {
  const id = typeof raw.id === 'string' ? raw.id.trim() : typeof raw.id === 'number' ? String(raw.id) : '';
  const reject = (code: string, detail: string) => ({ ok: false as const, rejection: { index, id: id === '' ? null : id.slice(0, USAGE_ID_MAX_CHARS), code, detail } });
  if (id === '' || id.length > USAGE_ID_MAX_CHARS) return reject('invalid_id', `id must be 1 to ${USAGE_ID_MAX_CHARS} characters`);
  let iccid: string | null = null;
  let msisdn: string | null = null;
  if (present(raw.iccid)) {
    const parsed = memoized(memo?.iccid, String(raw.iccid), parseIccid);
    if (!parsed.ok) return reject('invalid_iccid', parsed.message);
    iccid = parsed.value;
  }
  if (present(raw.msisdn)) {
    const parsed = memoized(memo?.msisdn, String(raw.msisdn), parseMsisdn);
    if (!parsed.ok) return reject('invalid_msisdn', parsed.message);
    msisdn = parsed.value;
  }
  if (!iccid && !msisdn) return reject('line_required', 'a record names its line by iccid or msisdn');
  const type = String(raw.type ?? '');
  if (!(USAGE_TYPES as readonly string[]).includes(type)) return reject('invalid_type', 'type must be data, voice or sms');
  const usageType = type as UsageType;
  const quantity = typeof raw.quantity === 'number' ? raw.quantity : typeof raw.quantity === 'string' && /^\d{1,16}$/.test(raw.quantity.trim()) ? Number(raw.quantity.trim()) : NaN;
  if (!Number.isSafeInteger(quantity) || quantity < 0) return reject('invalid_quantity', 'quantity must be a non-negative integer (bytes, seconds or messages)');
  if (quantity > QUANTITY_MAX[usageType]) return reject('invalid_quantity', `quantity above ${QUANTITY_MAX[usageType]} for ${usageType}`);
  const startedText = typeof raw.startedAt === 'string' ? raw.startedAt.trim() : '';
  const startedAt = new Date(startedText);
  if (!RFC3339.test(startedText) || Number.isNaN(startedAt.getTime())) return reject('invalid_started_at', 'startedAt must be an RFC 3339 time');
  let zone: string | null = null;
  if (present(raw.zone)) {
    zone = String(raw.zone).trim();
    if (!ZONE_SHAPE.test(zone)) return reject('invalid_zone', 'zone must be lowercase letters, digits, - or _');
  }
  return { ok: true, record: { index, id, iccid, msisdn, type: usageType, quantity, startedAt, zone } };
}

const isPlainObject = (v: unknown): v is RawRecord => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The records of a JSON body `{records: [...]}`, or null when it has another shape. Checked by
 * hand, not by a schema: each record is validated field by field next (validateRecord), and a
 * schema walk over 10,000 records cost more than parsing the JSON itself.
 */
export function recordsOfBody(body: unknown): RawRecord[] | null {
  if (!isPlainObject(body) || !Array.isArray(body.records)) return null;
  const records: unknown[] = body.records;
  return records.every(isPlainObject) ? records : null;
}

export interface IngestSummary {
  accepted: number;
  duplicates: number;
  rejected: UsageRejection[];
  rejectedCount: number;
}

export class IngestTally {
  readonly summary: IngestSummary = { accepted: 0, duplicates: 0, rejected: [], rejectedCount: 0 };
  reject(r: UsageRejection): void {
    this.summary.rejectedCount += 1;
    if (this.summary.rejected.length < REJECTED_LIST_MAX) this.summary.rejected.push(r);
  }
  add(result: { accepted: number; duplicates: number; rejected: UsageRejection[] }): void {
    this.summary.accepted += result.accepted;
    this.summary.duplicates += result.duplicates;
    for (const r of result.rejected) this.reject(r);
  }
}

/** A JSON batch (≤ USAGE_BATCH_MAX): validated, then rated in one transaction. */
export async function ingestRecords(db: Db, raws: readonly RawRecord[], ctx: { now: Date; actor: Actor }): Promise<IngestSummary> {
  const tally = new IngestTally();
  const valid: UsageRecordInput[] = [];
  const memo = newLineRefMemo();
  raws.forEach((raw, index) => {
    const checked = validateRecord(raw, index, memo);
    if (checked.ok) valid.push(checked.record);
    else tally.reject(checked.rejection);
  });
  tally.add(await ingestUsageBatch(db, valid, ctx));
  tally.summary.rejected.sort((a, b) => a.index - b.index);
  return tally.summary;
}

export const CSV_COLUMNS = ['id', 'iccid', 'msisdn', 'type', 'quantity', 'startedAt', 'zone'] as const;

/**
 * A CSV feed, header row first (columns in any order, optional ones may be missing), read as a
 * stream: chunks of `chunkSize` valid records are rated one transaction each while the rest is
 * still arriving. `index` counts data rows from 0. `onProgress` sees the bytes read so far.
 */
export async function ingestCsvStream(
  db: Db, input: Readable, ctx: { now: () => Date; actor: Actor },
  options: { chunkSize?: number; onProgress?: (p: { records: number; accepted: number }) => void } = {},
): Promise<IngestSummary> {
  const chunkSize = Math.min(options.chunkSize ?? 5_000, USAGE_BATCH_MAX);
  const tally = new IngestTally();
  const parser = input.pipe(parse({ columns: (header: string[]) => header.map((h) => h.trim()), bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }));
  let chunk: UsageRecordInput[] = [];
  let memo = newLineRefMemo();
  let index = 0;
  // One chunk is rated while the next is read and checked: at most two chunks in memory, and each
  // chunk's transaction starts after the one before committed, so records are rated in feed order.
  let inFlight: Promise<void> = Promise.resolve();
  const rate = async (batch: UsageRecordInput[], recordsRead: number) => {
    tally.add(await ingestUsageBatch(db, batch, { now: ctx.now(), actor: ctx.actor }));
    options.onProgress?.({ records: recordsRead, accepted: tally.summary.accepted });
  };
  const flush = async () => {
    if (chunk.length === 0) return;
    const batch = chunk;
    chunk = [];
    memo = newLineRefMemo();
    await inFlight;
    inFlight = rate(batch, index);
    // Awaited at the next flush or the end; until then a failure must not count as unhandled.
    inFlight.catch(() => undefined);
  };
  try {
    let headerChecked = false;
    for await (const row of parser as AsyncIterable<RawRecord>) {
      if (!headerChecked) {
        headerChecked = true;
        const missing = ['id', 'type', 'quantity', 'startedAt'].filter((c) => !(c in row));
        if (missing.length > 0) throw new CsvHeaderError(`the header row lacks ${missing.join(', ')} (columns: ${CSV_COLUMNS.join(', ')})`);
      }
      // Rejected rows fill no chunk: the memo is bounded on its own too.
      if (memo.iccid.size + memo.msisdn.size >= chunkSize) memo = newLineRefMemo();
      const checked = validateRecord(row, index, memo);
      index += 1;
      if (checked.ok) chunk.push(checked.record);
      else tally.reject(checked.rejection);
      if (chunk.length >= chunkSize) await flush();
    }
    await flush();
    await inFlight;
  } finally {
    // A feed that fails while a chunk is being rated ends after that chunk settles, never during it.
    await inFlight.catch(() => undefined);
  }
  options.onProgress?.({ records: index, accepted: tally.summary.accepted });
  return tally.summary;
}

export class CsvHeaderError extends Error {}

export interface SpooledFeed {
  sha256: string;
  open(): Readable;
  remove(): Promise<void>;
}

/**
 * A feed copied to a temporary file while its digest is taken: what an Idempotency-Key needs
 * before the first record is rated (the fingerprint covers the whole body), without holding a
 * feed of any length in memory. The caller removes the file.
 */
export async function spoolFeed(input: Readable): Promise<SpooledFeed> {
  const path = join(tmpdir(), `simkeep-usage-${randomUUID()}.csv`);
  const hash = createHash('sha256');
  const digest = new Transform({ transform(chunk: Buffer, _encoding, done) { hash.update(chunk); done(null, chunk); } });
  const remove = () => rm(path, { force: true });
  try {
    await pipeline(input, digest, createWriteStream(path));
  } catch (error) {
    await remove();
    throw error;
  }
  return { sha256: hash.digest('hex'), open: () => createReadStream(path), remove };
}
