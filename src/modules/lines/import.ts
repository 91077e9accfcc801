// SIM inventory import from CSV (API.md: `iccid,imsi,msisdn,pin,form,carrier[,activation_code]`,
// columns in any order). Every row is validated; good rows are inserted in batches of
// IMPORT_BATCH_ROWS (one multi-row INSERT … FROM unnest per batch, one transaction each), bad rows
// reported with their line number (the header is line 1). Idempotent per card: the unique indexes
// on ICCID, IMSI and MSISDN decide (`ON CONFLICT DO NOTHING`, then the skipped rows are told
// apart), so a re-run, a concurrent import or a repeat inside the file reports `duplicate_iccid`,
// `duplicate_imsi` or `duplicate_msisdn` instead of double stock — and the file's own duplicates
// need no in-memory set, so memory stays at two batches whatever the file size.
// A malformed CSV (an unterminated quote…) stops the import where it is: the batches before it
// stay committed (each is whole and valid), the 422 says how many rows were imported, and the
// audit entry records the partial import. PINs are hashed and activation codes encrypted before
// they leave this process; nothing from a row is logged — the audit entry carries counts only.
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { Db } from '../../db/types.ts';
import { DomainError, validation } from '../../domain/errors.ts';
import { isActivationCode, LPA_PREFIX } from '../../domain/activation-code.ts';
import { parseIccid } from '../../domain/iccid.ts';
import { newId } from '../../domain/ids.ts';
import { invariant } from '../../domain/invariant.ts';
import { isSimForm, type SimForm } from '../../domain/sim-form.ts';
import type { z } from 'zod';
import type { simImportResultSchema } from './schemas.ts';
import { parseImsi } from '../../domain/imsi.ts';
import { parseMsisdn } from '../../domain/msisdn.ts';
import { recordAudit, type Actor } from '../audit/service.ts';
import { encryptActivationCode } from './esim.ts';
import { hashPin, listCarrierCodes } from './service.ts';

/** Rows per INSERT statement and transaction: large enough to amortise round trips, small enough for PGlite's memory. */
export const IMPORT_BATCH_ROWS = 5_000;
/** Rows one import may hold; a larger file is split by the operator. */
export const IMPORT_ROWS_MAX = 2_000_000;
/** Rejected rows listed in the answer; `rejectedCount` always has the full number. */
export const IMPORT_REJECTED_REPORT_MAX = 10_000;
/** One CSV record longer than this is garbage (a real row is < 400 characters). */
const RECORD_MAX_CHARS = 8_192;

export const REQUIRED_COLUMNS = ['iccid', 'imsi', 'msisdn', 'pin', 'form', 'carrier'] as const;
const OPTIONAL_COLUMNS = ['activation_code'] as const;
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

export const IMPORT_REJECT_CODES = [
  'missing_column', 'invalid_iccid', 'invalid_imsi', 'invalid_msisdn', 'invalid_pin', 'invalid_form',
  'unknown_carrier', 'invalid_activation_code', 'duplicate_iccid', 'duplicate_imsi', 'duplicate_msisdn',
] as const;
export type ImportRejectCode = (typeof IMPORT_REJECT_CODES)[number];

/** The import's answer, as declared for the API (schemas.ts). */
export type SimImportResult = z.infer<typeof simImportResultSchema>;
export type ImportRejection = SimImportResult['rejected'][number];

export interface ImportProgress {
  rows: number;
  imported: number;
  rejected: number;
}

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** The application clock's now, for the audit entry (the CLI has no sandbox clock: wall time). */
  now?: Date;
}

interface SimInsert {
  line: number;
  id: string;
  iccid: string;
  imsi: string;
  msisdn: string | null;
  pinHash: string;
  form: SimForm;
  carrier: string;
  activationCodeEnc: string | null;
}

const PIN_SHAPE = /^[0-9]{4,8}$/;

/** A text body is fed to the parser in pieces of this size, as a file stream would be. */
const TEXT_CHUNK_CHARS = 64 * 1024;

function* textChunks(text: string): Generator<string> {
  for (let start = 0; start < text.length; start += TEXT_CHUNK_CHARS) yield text.slice(start, start + TEXT_CHUNK_CHARS);
}

/**
 * A CSV text or byte stream as records with the line each ends on. Text goes in chunks so the
 * parser stays just ahead of the importer (stream back-pressure): a syntax error near the end of
 * the file then arrives after the rows before it were read, as it does when reading a file.
 */
export function csvRecords(source: string | Readable): AsyncIterable<{ record: string[]; info: { lines: number } }> {
  const parser = parse({
    bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, max_record_size: RECORD_MAX_CHARS,
  });
  const input = typeof source === 'string' ? Readable.from(textChunks(source)) : source;
  input.on('error', (error) => parser.destroy(error));
  return input.pipe(parser);
}

function columnIndexes(header: readonly string[]): Map<Column, number> {
  const names = header.map((h) => h.trim().toLowerCase());
  const known: readonly string[] = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS];
  const indexes = new Map<Column, number>();
  names.forEach((name, i) => {
    if (!known.includes(name)) return;
    if (indexes.has(name as Column)) throw validation('duplicate_column', `column ${name} appears twice in the header`);
    indexes.set(name as Column, i);
  });
  const missing = REQUIRED_COLUMNS.filter((c) => !indexes.has(c));
  if (missing.length > 0) {
    throw validation('missing_column', `the header lacks ${missing.join(', ')} (expected ${REQUIRED_COLUMNS.join(',')}[,activation_code])`,
      missing.map((c) => ({ path: c, message: 'column missing from the header' })));
  }
  return indexes;
}

class RowReader {
  constructor(
    private readonly columns: Map<Column, number>,
    private readonly carriers: ReadonlySet<string>,
    private readonly secretKey: Buffer,
  ) {}

  private field(record: readonly string[], column: Column): string | undefined {
    const index = this.columns.get(column);
    return index === undefined ? '' : record[index];
  }

  /** The row ready to insert, or the first problem found in it. */
  read(record: readonly string[], line: number): SimInsert | ImportRejectCode {
    const [iccidRaw, imsiRaw, msisdnRaw, pin, formRaw, carrier] = REQUIRED_COLUMNS.map((c) => this.field(record, c));
    if (iccidRaw === undefined || imsiRaw === undefined || msisdnRaw === undefined || pin === undefined || formRaw === undefined || carrier === undefined) {
      return 'missing_column';
    }
    const iccid = parseIccid(iccidRaw);
    if (!iccid.ok) return 'invalid_iccid';
    const imsi = parseImsi(imsiRaw);
    if (!imsi.ok) return 'invalid_imsi';
    // An empty MSISDN is a data-only profile (travel eSIMs); a non-empty one must be E.164.
    const msisdn = msisdnRaw === '' ? null : parseMsisdn(msisdnRaw);
    if (msisdn !== null && !msisdn.ok) return 'invalid_msisdn';
    if (!PIN_SHAPE.test(pin)) return 'invalid_pin';
    const form = formRaw.toLowerCase();
    if (!isSimForm(form)) return 'invalid_form';
    if (!this.carriers.has(carrier)) return 'unknown_carrier';
    const activation = this.activationCode(record, form, iccid.value);
    if (typeof activation !== 'object') return activation;
    return {
      line, id: newId('sim'), iccid: iccid.value, imsi: imsi.value.imsi, msisdn: msisdn?.value ?? null,
      pinHash: hashPin(this.secretKey, iccid.value, pin), form, carrier, activationCodeEnc: activation.enc,
    };
  }

  /** eSIMs need a valid code (stored encrypted, canonical form); a physical card must not carry one. */
  private activationCode(record: readonly string[], form: SimForm, iccid: string): { enc: string | null } | ImportRejectCode {
    const raw = this.field(record, 'activation_code');
    if (raw === undefined) return form === 'esim' ? 'missing_column' : { enc: null };
    if (form === 'physical') return raw === '' ? { enc: null } : 'invalid_activation_code';
    if (!isActivationCode(raw)) return 'invalid_activation_code';
    // Stored without the QR prefix, whichever way the feed wrote it (the eSIM route adds it back).
    // A parsed code formats back to exactly its text (activation-code.ts), so the text minus the
    // prefix IS the canonical form — no second parse and format per row.
    return { enc: encryptActivationCode(this.secretKey, iccid, raw.startsWith(LPA_PREFIX) ? raw.slice(LPA_PREFIX.length) : raw) };
  }
}

/**
 * Inserts one batch; rows that collide with a card in stock — or with an earlier row of the same
 * file, in this batch or a committed one — come back as duplicates, told apart by what they share
 * (ICCID first, then IMSI, then MSISDN). Rows are inserted in file order, so the later line is the
 * one reported.
 */
async function insertBatch(db: Db, batch: readonly SimInsert[]): Promise<ImportRejection[]> {
  return db.transaction(async (tx) => {
    // No RETURNING: in the common case every row goes in and the row count says so; only a batch
    // with duplicates pays for finding out which rows they were.
    const { rowCount } = await tx.query(
      `INSERT INTO sims (id, iccid, imsi, msisdn, pin_hash, form, carrier_code, activation_code_enc)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
       ON CONFLICT DO NOTHING`,
      [
        batch.map((s) => s.id), batch.map((s) => s.iccid), batch.map((s) => s.imsi), batch.map((s) => s.msisdn),
        batch.map((s) => s.pinHash), batch.map((s) => s.form), batch.map((s) => s.carrier), batch.map((s) => s.activationCodeEnc),
      ],
    );
    if (rowCount === batch.length) return [];
    const ids = await tx.query<{ id: string }>('SELECT id FROM sims WHERE id = ANY($1::text[])', [batch.map((s) => s.id)]);
    const inserted = new Set(ids.rows.map((r) => r.id));
    const skipped = batch.filter((s) => !inserted.has(s.id));
    const existing = await tx.query<{ iccid: string; imsi: string; msisdn: string | null }>(
      `SELECT iccid, imsi, msisdn FROM sims WHERE iccid = ANY($1::text[]) OR imsi = ANY($2::text[]) OR msisdn = ANY($3::text[])`,
      [skipped.map((s) => s.iccid), skipped.map((s) => s.imsi), skipped.flatMap((s) => (s.msisdn === null ? [] : [s.msisdn]))],
    );
    const iccids = new Set(existing.rows.map((r) => r.iccid));
    const imsis = new Set(existing.rows.map((r) => r.imsi));
    const msisdns = new Set(existing.rows.map((r) => r.msisdn));
    return skipped.map((s): ImportRejection => {
      const code = iccids.has(s.iccid) ? 'duplicate_iccid' : imsis.has(s.imsi) ? 'duplicate_imsi' : 'duplicate_msisdn';
      invariant(code !== 'duplicate_msisdn' || (s.msisdn !== null && msisdns.has(s.msisdn)), `row at line ${s.line} was skipped without a conflict`);
      return { line: s.line, code };
    });
  });
}

function csvProblem(error: CsvError, result: SimImportResult): DomainError {
  const line = typeof error.lines === 'number' ? ` at line ${error.lines}` : '';
  const imported = result.imported === 0 ? 'nothing was imported'
    : `${result.imported} rows before it were imported and stay in stock; fix the file and import it again (they come back as duplicates)`;
  return new DomainError('validation', 'invalid_csv', `the CSV is malformed${line} (${error.code}); ${imported}`, {
    imported: result.imported, rejectedCount: result.rejectedCount,
  });
}

/** One entry per import, after the batches: counts only, never card data. */
async function auditImport(db: Db, actor: Actor, result: SimImportResult, partial: boolean, at: Date): Promise<void> {
  await recordAudit(db, actor, {
    action: 'sims.import', targetType: 'sim_inventory', targetId: 'sims', at,
    details: { rows: result.rows, imported: result.imported, rejected: result.rejectedCount, ...(partial ? { partial: true } : {}) },
  });
}

export async function importSims(
  db: Db, secretKey: Buffer, actor: Actor, source: string | Readable, options: ImportOptions = {},
): Promise<SimImportResult> {
  const result: SimImportResult = { imported: 0, rejected: [], rejectedCount: 0, rows: 0 };
  const reject = (r: ImportRejection): void => {
    result.rejectedCount += 1;
    if (result.rejected.length < IMPORT_REJECTED_REPORT_MAX) result.rejected.push(r);
  };
  const carriers = new Set(await listCarrierCodes(db));
  let reader: RowReader | null = null;
  let batch: SimInsert[] = [];
  // One batch is in the database while the next is parsed, hashed and encrypted (on PostgreSQL the
  // two overlap); never more than one, so memory stays at two batches.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    await inFlight;
    inFlight = insertBatch(db, sending).then((duplicates) => {
      result.imported += sending.length - duplicates.length;
      duplicates.forEach(reject);
      options.onProgress?.({ rows: result.rows, imported: result.imported, rejected: result.rejectedCount });
    });
    // Observed at the next flush or at the end; this only keeps it from counting as unhandled meanwhile.
    inFlight.catch(() => undefined);
  };
  try {
    for await (const { record, info } of csvRecords(source)) {
      if (reader === null) {
        reader = new RowReader(columnIndexes(record), carriers, secretKey);
        continue;
      }
      result.rows += 1;
      if (result.rows > IMPORT_ROWS_MAX) throw new DomainError('too_large', 'too_many_rows', `at most ${IMPORT_ROWS_MAX} rows per import`);
      const row = reader.read(record, info.lines);
      if (typeof row !== 'object') reject({ line: info.lines, code: row });
      else {
        batch.push(row);
        if (batch.length >= IMPORT_BATCH_ROWS) await flush();
      }
    }
    if (reader === null) throw validation('missing_column', `the CSV is empty; expected the header ${REQUIRED_COLUMNS.join(',')}[,activation_code]`);
    await flush();
    await inFlight;
  } catch (error) {
    await inFlight.catch(() => undefined);
    // Committed batches are operator changes to stock: audited even when the rest failed.
    if (result.imported > 0) await auditImport(db, actor, result, true, options.now ?? new Date());
    if (error instanceof CsvError) throw csvProblem(error, result);
    if (error instanceof DomainError && error.code === 'too_many_rows') {
      throw new DomainError('too_large', 'too_many_rows',
        `at most ${IMPORT_ROWS_MAX} rows per import; the first ${result.imported} good rows were imported, split the rest into another file`,
        { imported: result.imported, rejectedCount: result.rejectedCount });
    }
    throw error;
  }
  result.rejected.sort((a, b) => a.line - b.line);
  // One entry per import, after the batches: counts only, never card data.
  await auditImport(db, actor, result, false, options.now ?? new Date());
  return result;
}
