import { expect, it } from 'vitest';
import { withLuhnCheckDigit } from '../../src/domain/luhn.ts';
import { IMPORT_BATCH_ROWS } from '../../src/modules/lines/import.ts';
import { forEachDatabase } from '../support/harness.ts';
import { CSV_HEADER, csvOf, csvRow, importCsv, nextCard } from '../support/lines-fixtures.ts';

forEachDatabase('importing SIM inventory', (get) => {
  it('imports the good rows and reports every bad one with its line number', async () => {
    const ctx = get();
    const good = nextCard();
    const goodPhysical = nextCard({ form: 'physical' });
    const rows = [
      csvRow(good), // 2
      csvRow({ ...nextCard(), iccid: good.iccid.slice(0, -1) + String((Number(good.iccid.slice(-1)) + 1) % 10) }), // 3
      csvRow({ ...nextCard(), imsi: '31026X' }), // 4
      csvRow({ ...nextCard(), msisdn: '0044 7700' }), // 5
      csvRow({ ...nextCard(), pin: '12' }), // 6
      csvRow({ ...nextCard(), form: 'sim' as 'esim' }), // 7
      csvRow({ ...nextCard(), carrier: 'no-such-carrier' }), // 8
      csvRow({ ...nextCard(), activationCode: '2$smdp.example.com$X' }), // 9
      csvRow({ ...nextCard(), activationCode: '' }), // 10: an eSIM without its code
      csvRow({ ...nextCard(), imsi: '310260999999999' , iccid: good.iccid }), // 11: duplicate within the file
      '89012607770000999990,310260000000001', // 12: a short row
      '', // blank lines are skipped but still counted
      csvRow(goodPhysical), // 14
      csvRow({ ...nextCard({ form: 'physical' }), activationCode: '1$smdp.example.com$X' }), // 15: a physical card carries no code
    ];
    const r = await importCsv(ctx, [CSV_HEADER, ...rows].join('\n') + '\n');
    expect(r.status).toBe(200);
    expect(r.json.imported).toBe(2);
    expect(r.json.rejected).toEqual([
      { line: 3, code: 'invalid_iccid' },
      { line: 4, code: 'invalid_imsi' },
      { line: 5, code: 'invalid_msisdn' },
      { line: 6, code: 'invalid_pin' },
      { line: 7, code: 'invalid_form' },
      { line: 8, code: 'unknown_carrier' },
      { line: 9, code: 'invalid_activation_code' },
      { line: 10, code: 'invalid_activation_code' },
      { line: 11, code: 'duplicate_iccid' },
      { line: 12, code: 'missing_column' },
      { line: 15, code: 'invalid_activation_code' },
    ]);
    const stored = await ctx.db.query<{ iccid: string }>('SELECT iccid FROM sims WHERE iccid = ANY($1::text[]) ORDER BY iccid', [[good.iccid, goodPhysical.iccid]]);
    expect(stored.rows.map((s) => s.iccid)).toEqual([good.iccid, goodPhysical.iccid].sort());
  });

  it('reads the columns in any order and normalises ICCIDs (spaces, trailing F)', async () => {
    const ctx = get();
    const card = nextCard();
    const csv = `carrier,activation_code,pin,form,msisdn,imsi,iccid\n${card.carrier},${card.activationCode},${card.pin},${card.form},${card.msisdn},${card.imsi},${card.iccid.slice(0, 10)} ${card.iccid.slice(10)}F\n`;
    const r = await importCsv(ctx, csv);
    expect(r.json).toMatchObject({ imported: 1, rejected: [] });
    const stored = await ctx.db.query<{ imsi: string; form: string }>('SELECT imsi, form FROM sims WHERE iccid = $1', [card.iccid]);
    expect(stored.rows[0]).toEqual({ imsi: card.imsi, form: 'esim' });
  });

  it('reports cards already in stock as duplicate_iccid and imports nothing twice', async () => {
    const ctx = get();
    const [a, b] = [nextCard(), nextCard({ form: 'physical' })];
    expect((await importCsv(ctx, csvOf([a]))).json.imported).toBe(1);
    const again = await importCsv(ctx, csvOf([b, a]));
    expect(again.json).toMatchObject({ imported: 1, rejected: [{ line: 3, code: 'duplicate_iccid' }] });
    const count = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sims WHERE iccid = $1', [a.iccid]);
    expect(count.rows[0]?.n).toBe(1);
  });

  it('refuses a file whose header lacks a required column', async () => {
    const ctx = get();
    const r = await importCsv(ctx, 'iccid,imsi,pin,form,carrier\n89012607770000000017,310260000000001,1234,physical,us-paygo\n');
    expect(r.status).toBe(422);
    expect(r.json.code).toBe('missing_column');
    expect(r.json.detail).toContain('msisdn');
    const empty = await importCsv(ctx, '');
    expect([400, 422]).toContain(empty.status);
  });

  it('stores activation codes encrypted and PINs only as keyed hashes', async () => {
    const ctx = get();
    const card = nextCard({ pin: '73920518', activationCode: 'LPA:1$smdp.example.com$SECRET-MATCHING-ID-42' });
    expect((await importCsv(ctx, csvOf([card]))).json.imported).toBe(1);
    const { rows } = await ctx.db.query<{ row: string; enc: string; pin_hash: string }>(
      'SELECT row_to_json(s)::text AS row, activation_code_enc AS enc, pin_hash FROM sims s WHERE iccid = $1', [card.iccid],
    );
    const row = rows[0];
    expect(row?.enc.startsWith('v1:')).toBe(true);
    expect(row?.row).not.toContain('SECRET-MATCHING-ID-42');
    expect(row?.row).not.toContain('smdp.example.com');
    expect(row?.pin_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.row).not.toContain('73920518');
  });

  it('writes one audit entry per import with counts, not card data', async () => {
    const ctx = get();
    const card = nextCard({ activationCode: 'LPA:1$smdp.example.com$AUDIT-SECRET' });
    await importCsv(ctx, csvOf([card, { ...nextCard(), pin: 'x' }]));
    const audit = await ctx.get('/api/v1/admin/audit?target=sims', { token: await ctx.adminToken() });
    const entry = audit.json.items.find((e: { action: string }) => e.action === 'sims.import');
    expect(entry.details).toEqual({ rows: 2, imported: 1, rejected: 1 });
    expect(JSON.stringify(audit.json)).not.toContain(card.iccid);
    expect(JSON.stringify(audit.json)).not.toContain('AUDIT-SECRET');
  });

  it('rejects implausible numbers and IMSIs: a bare country code, a bracketed trunk 0, an unassigned MCC', async () => {
    const ctx = get();
    const cards = [
      { ...nextCard(), msisdn: '+1' }, // 2
      { ...nextCard(), msisdn: '"+44 (0) 7700 900001"' }, // 3
      { ...nextCard(), imsi: '000011234567890' }, // 4
      { ...nextCard(), imsi: '899991234567890' }, // 5
      { ...nextCard({ form: 'physical' }), msisdn: '"+44 7700 900555"', imsi: '901281234567890' }, // 6: fine
    ];
    const r = await importCsv(ctx, [CSV_HEADER, ...cards.map(csvRow)].join('\n'));
    expect(r.json.rejected).toEqual([
      { line: 2, code: 'invalid_msisdn' }, { line: 3, code: 'invalid_msisdn' }, { line: 4, code: 'invalid_imsi' }, { line: 5, code: 'invalid_imsi' },
    ]);
    expect(r.json.imported).toBe(1);
    const stored = await ctx.db.query<{ msisdn: string }>('SELECT msisdn FROM sims WHERE iccid = $1', [cards[4]?.iccid]);
    expect(stored.rows).toEqual([{ msisdn: '+447700900555' }]);
  });

  it('reads a UTF-8 BOM, CRLF line endings and quoted fields with commas', async () => {
    const ctx = get();
    const [a, b] = [nextCard({ activationCode: 'LPA:1$smdp.example.com$WITH,COMMA' }), nextCard({ form: 'physical' })];
    const quoted = (c: typeof a): string => [c.iccid, c.imsi, `"${c.msisdn}"`, `"${c.pin}"`, c.form, `"${c.carrier}"`, `"${c.activationCode}"`].join(',');
    const csv = `\uFEFF${CSV_HEADER}\r\n${quoted(a)}\r\n${quoted(b)}\r\n`;
    const r = await importCsv(ctx, csv);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({ imported: 2, rejected: [], rows: 2 });
    const { rows } = await ctx.db.query<{ iccid: string; msisdn: string; carrier_code: string }>(
      'SELECT iccid, msisdn, carrier_code FROM sims WHERE iccid = ANY($1::text[]) ORDER BY iccid', [[a.iccid, b.iccid]],
    );
    expect(rows).toEqual([a, b].sort((x, y) => x.iccid.localeCompare(y.iccid)).map((c) => ({ iccid: c.iccid, msisdn: c.msisdn, carrier_code: c.carrier })));
    // The comma stayed inside the (encrypted) activation code: the subscriber gets it back whole.
    const customer = await ctx.customer();
    const bound = await ctx.post('/api/v1/lines/bind', { iccid: a.iccid, pin: a.pin }, { token: customer.token });
    const esim = await ctx.get(`/api/v1/lines/${bound.json.id}/esim`, { token: customer.token });
    expect(esim.json.activationCode).toBe('LPA:1$smdp.example.com$WITH,COMMA');
  });

  it('imports nothing from a header-only file, and answers 200', async () => {
    const ctx = get();
    for (const csv of [CSV_HEADER, `${CSV_HEADER}\n`, `\uFEFF${CSV_HEADER}\r\n\r\n`]) {
      const r = await importCsv(ctx, csv);
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({ imported: 0, rejected: [], rejectedCount: 0, rows: 0 });
    }
  });

  it('refuses an unterminated quote with 422 invalid_csv, importing nothing from a small file', async () => {
    const ctx = get();
    const card = nextCard();
    const r = await importCsv(ctx, `${CSV_HEADER}\n${csvRow(card)}\n"8901260777,unterminated\n`);
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ code: 'invalid_csv', imported: 0 });
    expect(r.json.detail).toMatch(/nothing was imported/);
    const stored = await ctx.db.query('SELECT 1 FROM sims WHERE iccid = $1', [card.iccid]);
    expect(stored.rows).toHaveLength(0);
  });

  it('names every missing required column in a 422 missing_column', async () => {
    const ctx = get();
    const r = await importCsv(ctx, 'iccid,msisdn,form,carrier\n89012607770000000017,+12125550199,physical,us-paygo\n');
    expect(r.status).toBe(422);
    expect(r.json.code).toBe('missing_column');
    expect(r.json.errors).toEqual([
      { path: 'imsi', message: 'column missing from the header' },
      { path: 'pin', message: 'column missing from the header' },
    ]);
  });

  it('keeps the committed batches of a file that turns out malformed, says how many, and audits the partial import', async () => {
    const ctx = get();
    // One full batch, then more good rows than fit before the error: only the full batch is committed.
    const goodRows = IMPORT_BATCH_ROWS + 2_000;
    const lines = [CSV_HEADER];
    for (let i = 0; i < goodRows; i++) {
      const n = String(i).padStart(9, '0');
      lines.push([withLuhnCheckDigit(`8944110666${n}`), `23466${n}0`, '', '1234', 'physical', 'uk-keep', ''].join(','));
    }
    lines.push('"8944110666,broken');
    const r = await importCsv(ctx, lines.join('\n'));
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ code: 'invalid_csv', imported: IMPORT_BATCH_ROWS });
    expect(r.json.detail).toContain(`${IMPORT_BATCH_ROWS} rows before it were imported`);
    const count = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sims WHERE iccid LIKE '8944110666%'`);
    expect(count.rows[0]?.n).toBe(IMPORT_BATCH_ROWS);
    const audit = await ctx.get('/api/v1/admin/audit?target=sims', { token: await ctx.adminToken() });
    const entry = audit.json.items.find((e: { action: string; details: { partial?: boolean } }) => e.action === 'sims.import' && e.details.partial);
    expect(entry?.details).toMatchObject({ imported: IMPORT_BATCH_ROWS, rejected: 0, partial: true });
    expect(entry?.details.rows).toBeGreaterThanOrEqual(IMPORT_BATCH_ROWS);
  });

  it('rejects a repeated IMSI or MSISDN, within the file and against the stock', async () => {
    const ctx = get();
    const inStock = nextCard({ form: 'physical' });
    expect((await importCsv(ctx, csvOf([inStock]))).json.imported).toBe(1);
    const first = nextCard({ form: 'physical' });
    const dataOnly = [nextCard({ form: 'physical', msisdn: '' }), nextCard({ form: 'physical', msisdn: '' })];
    const cards = [
      first, // 2
      { ...nextCard({ form: 'physical' }), imsi: first.imsi }, // 3: IMSI repeated in the file
      { ...nextCard({ form: 'physical' }), msisdn: first.msisdn }, // 4: number repeated in the file
      { ...nextCard({ form: 'physical' }), imsi: inStock.imsi }, // 5: IMSI of a card in stock
      { ...nextCard({ form: 'physical' }), msisdn: inStock.msisdn.replace(/^\+1/, '+1 ') }, // 6: number in stock, formatted
      { ...nextCard({ form: 'physical' }), iccid: inStock.iccid, imsi: inStock.imsi }, // 7: the same card again
      ...dataOnly, // 8, 9: data-only profiles share no number
    ];
    const r = await importCsv(ctx, csvOf(cards));
    expect(r.status, r.text).toBe(200);
    expect(r.json.imported).toBe(3);
    expect(r.json.rejected).toEqual([
      { line: 3, code: 'duplicate_imsi' },
      { line: 4, code: 'duplicate_msisdn' },
      { line: 5, code: 'duplicate_imsi' },
      { line: 6, code: 'duplicate_msisdn' },
      { line: 7, code: 'duplicate_iccid' },
    ]);
    const stored = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sims WHERE imsi = ANY($1::text[])', [[first.imsi, inStock.imsi]]);
    expect(stored.rows[0]?.n).toBe(2);
  });

  it('imports 20,000 rows in one request within seconds', async () => {
    const ctx = get();
    const rowsWanted = 20_000;
    const lines = [CSV_HEADER];
    for (let i = 0; i < rowsWanted; i++) {
      const n = String(i).padStart(9, '0');
      const esim = i % 2 === 0;
      // IMSI (MNC 55) and numbers (+44 7555 …) outside the demo stock's ranges: both are unique in stock.
      lines.push([withLuhnCheckDigit(`8944110555${n}`), `23455${n}0`, `+447555${n.slice(-6)}`, '1234', esim ? 'esim' : 'physical', 'uk-keep',
        esim ? `LPA:1$smdp.example.com$BULK-${n}` : ''].join(','));
    }
    const startedMs = performance.now();
    const r = await importCsv(ctx, lines.join('\n'));
    const elapsedMs = performance.now() - startedMs;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ imported: rowsWanted, rejected: [], rows: rowsWanted });
    const count = await ctx.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM sims WHERE iccid LIKE '8944110555%'`);
    expect(count.rows[0]?.n).toBe(rowsWanted);
    expect(elapsedMs).toBeLessThan(30_000);
  });
});
