import { expect, it } from 'vitest';
import { clearingAccount, postJournal, verifyLedger, walletAccount } from '../../src/modules/ledger/service.ts';
import { forEachDatabase, type TestContext } from '../support/harness.ts';
import { advanceClockOnly, creditMonth, customerWithLine } from '../support/lines-fixtures.ts';

let serial = 0;
const rid = (): string => `rec-${process.pid}-${++serial}`;

async function carrierToken(ctx: TestContext): Promise<string> {
  const created = await ctx.post('/api/v1/admin/api-tokens', { name: 'Usage feed', role: 'carrier' }, { token: await ctx.adminToken() });
  return created.json.token as string;
}

async function fund(ctx: TestContext, userId: string, amountMinor: number): Promise<void> {
  await ctx.db.transaction((tx) => postJournal(tx, {
    idempotencyKey: `test-fund-${userId}-${++serial}`, kind: 'topup', cause: { type: 'test', id: userId }, postedAt: ctx.app.deps.clock.now(),
    lines: [{ account: clearingAccount('sandbox', 'USD'), amountMinor: -amountMinor }, { account: walletAccount(userId, 'USD'), amountMinor }],
  }, { userId: null, role: 'system' }));
}

const buckets = async (ctx: TestContext, lineId: string) => Object.fromEntries(
  (await ctx.db.query<{ unit: string; remaining: number }>('SELECT unit, remaining FROM buckets WHERE line_id = $1', [lineId])).rows.map((r) => [r.unit, Number(r.remaining)]),
);

forEachDatabase('usage', (get) => {
  it('rates exactly: KB and started minutes from buckets, then the wallet, then unfunded with the line flagged', async () => {
    const ctx = get();
    const { lineId, card, customer } = await customerWithLine(ctx);
    await creditMonth(ctx, lineId); // 100 MB, 10 min, 10 SMS
    await fund(ctx, customer.user.id, 5);
    const token = await carrierToken(ctx);
    const at = ctx.app.deps.clock.now().toISOString();
    const records = [
      { id: rid(), iccid: card.iccid, type: 'data', quantity: 1, startedAt: at },
      { id: rid(), msisdn: card.msisdn, type: 'voice', quantity: 61, startedAt: at },
      { id: rid(), iccid: card.iccid, type: 'sms', quantity: 11, startedAt: at },
      { id: rid(), iccid: card.iccid, type: 'voice', quantity: 600, startedAt: at },
      { id: 'bad', iccid: card.iccid, type: 'fax', quantity: 1, startedAt: at },
    ];
    const r = await ctx.post('/api/v1/usage', { records }, { token });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ accepted: 4, duplicates: 0, rejectedCount: 1, rejected: [{ index: 4, id: 'bad', code: 'invalid_type' }] });
    expect(await buckets(ctx, lineId)).toEqual({ data: 100 * 1_048_576 - 1024, voice: 0, sms: 0 });
    const wallet = await ctx.get('/api/v1/wallet', { token: customer.token });
    expect(wallet.json.balance).toEqual({ amount: 0, currency: 'USD' });
    const flagged = await ctx.db.query<{ flagged: boolean; last_activity_at: Date }>('SELECT flagged, last_activity_at FROM lines WHERE id = $1', [lineId]);
    expect(flagged.rows[0]?.flagged).toBe(true);
    expect(flagged.rows[0]?.last_activity_at.toISOString()).toBe(at);
    const statuses = await ctx.db.query<{ status: string; charged_minor: number }>('SELECT status, charged_minor FROM usage_records WHERE id = $1', [records[3]?.id]);
    expect(statuses.rows[0]).toMatchObject({ status: 'unfunded' });

    // Duplicates forever: the same records again change nothing.
    const again = await ctx.post('/api/v1/usage', { records: records.slice(0, 4) }, { token });
    expect(again.json).toMatchObject({ accepted: 0, duplicates: 4, rejectedCount: 0 });
    expect(await buckets(ctx, lineId)).toEqual({ data: 100 * 1_048_576 - 1024, voice: 0, sms: 0 });
    expect(await verifyLedger(ctx.db)).toEqual([]);

    const chart = await ctx.get(`/api/v1/lines/${lineId}/usage?granularity=hour`, { token: customer.token });
    expect(chart.status).toBe(200);
    expect(chart.json.items).toHaveLength(1);
    expect(chart.json.items[0]).toMatchObject({ dataBytes: 1, voiceSec: 661, sms: 11, charged: { amount: 5, currency: 'USD' } });
  });

  it('takes CSV with columns in any order, and refuses customers', async () => {
    const ctx = get();
    const { lineId, card, customer } = await customerWithLine(ctx);
    await creditMonth(ctx, lineId);
    const token = await carrierToken(ctx);
    const at = ctx.app.deps.clock.now().toISOString();
    const csv = `quantity,startedAt,type,id,iccid\n2048,${at},data,${rid()},${card.iccid}\n1,${at},sms,${rid()},${card.iccid}\nx,${at},sms,${rid()},${card.iccid}\n`;
    const r = await ctx.call('POST', '/api/v1/usage', { token, headers: { 'content-type': 'text/csv' }, raw: csv });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ accepted: 2, rejectedCount: 1, rejected: [{ index: 2, code: 'invalid_quantity' }] });
    expect(await buckets(ctx, lineId)).toMatchObject({ data: 100 * 1_048_576 - 2048, sms: 9 });
    const forbidden = await ctx.post('/api/v1/usage', { records: [] }, { token: customer.token });
    expect(forbidden.status).toBe(403);
    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({ id: `many-${i}`, iccid: card.iccid, type: 'sms', quantity: 1, startedAt: at }));
    const refused = await ctx.post('/api/v1/usage', { records: tooMany }, { token });
    expect(refused.status).toBe(413);
    expect(refused.json.code).toBe('too_many_records');
    const badHeader = await ctx.call('POST', '/api/v1/usage', { token, headers: { 'content-type': 'text/csv' }, raw: 'foo,bar\n1,2\n' });
    expect(badHeader.status).toBe(422);
    expect(badHeader.json.code).toBe('invalid_csv_header');
  });

  it('stores ids with any characters exactly and knows each again as a duplicate', async () => {
    const ctx = get();
    const { lineId, card } = await customerWithLine(ctx);
    await creditMonth(ctx, lineId);
    const token = await carrierToken(ctx);
    const at = ctx.app.deps.clock.now().toISOString();
    // What an array literal would read otherwise: quotes, backslashes, separators, braces, NULL in any case, non-ASCII.
    const tag = rid();
    const ids = [`${tag}"q`, `${tag}\\b`, `${tag},c`, `{${tag}}`, `${tag} s`, 'NULL', 'null', `${tag}-路由`, `${tag}'a`];
    const records = ids.map((id) => ({ id, iccid: card.iccid, type: 'sms', quantity: 1, startedAt: at }));
    const first = await ctx.post('/api/v1/usage', { records }, { token });
    expect(first.json).toMatchObject({ accepted: ids.length, duplicates: 0, rejectedCount: 0 });
    const stored = await ctx.db.query<{ id: string }>('SELECT id FROM usage_records WHERE line_id = $1', [lineId]);
    expect(stored.rows.map((r) => r.id).sort()).toEqual([...ids].sort());
    const again = await ctx.post('/api/v1/usage', { records: [...records].reverse() }, { token });
    expect(again.json).toMatchObject({ accepted: 0, duplicates: ids.length, rejectedCount: 0 });
    expect((await buckets(ctx, lineId)).sms).toBe(10 - ids.length);
  });

  it('raises each allowance alert once per bucket and threshold', async () => {
    const ctx = get();
    const { lineId, card } = await customerWithLine(ctx);
    await creditMonth(ctx, lineId); // 10 SMS
    const token = await carrierToken(ctx);
    const at = ctx.app.deps.clock.now().toISOString();
    for (let i = 0; i < 10; i += 1) await ctx.post('/api/v1/usage', { records: [{ id: rid(), iccid: card.iccid, type: 'sms', quantity: 1, startedAt: at }] }, { token });
    const alerts = await ctx.db.query<{ percent: number }>(`SELECT percent FROM notifications WHERE line_id = $1 AND kind = 'allowance_used' ORDER BY percent`, [lineId]);
    expect(alerts.rows.map((a) => a.percent)).toEqual([75, 90]);
  });

  it('two parallel batches on the same line neither deadlock nor charge twice', async () => {
    const ctx = get();
    const { lineId, card } = await customerWithLine(ctx);
    await creditMonth(ctx, lineId);
    const token = await carrierToken(ctx);
    const at = ctx.app.deps.clock.now().toISOString();
    const shared = Array.from({ length: 5 }, () => ({ id: rid(), iccid: card.iccid, type: 'sms', quantity: 1, startedAt: at }));
    const [a, b] = await Promise.all([ctx.post('/api/v1/usage', { records: shared }, { token }), ctx.post('/api/v1/usage', { records: [...shared].reverse() }, { token })]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.json.accepted + b.json.accepted).toBe(5);
    expect((await buckets(ctx, lineId)).sms).toBe(5);
  });

  it('moves an activity carrier\'s keep-alive deadline at once, and leaves a recharge carrier\'s alone', async () => {
    const ctx = get();
    const token = await carrierToken(ctx);
    const uk = await customerWithLine(ctx, { carrier: 'uk-keep' }); // keep-alive: activity within 180 days
    const us = await customerWithLine(ctx); // keep-alive: a recharge every 30 days
    await creditMonth(ctx, uk.lineId);
    await creditMonth(ctx, us.lineId);
    const due = async (lineId: string) => (await ctx.db.query<{ lifecycle_due_at: Date }>('SELECT lifecycle_due_at FROM lines WHERE id = $1', [lineId])).rows[0]?.lifecycle_due_at.getTime();
    const ukBefore = await due(uk.lineId);
    const usBefore = await due(us.lineId);
    await advanceClockOnly(ctx, 10 * 86_400);
    const at = ctx.app.deps.clock.now();
    const records = [uk, us].map((l) => ({ id: rid(), iccid: l.card.iccid, type: 'sms', quantity: 1, startedAt: at.toISOString() }));
    expect((await ctx.post('/api/v1/usage', { records }, { token })).json.accepted).toBe(2);
    expect(await due(uk.lineId)).toBe(at.getTime() + 180 * 86_400_000);
    expect(at.getTime() + 180 * 86_400_000 - (ukBefore ?? 0)).toBeGreaterThanOrEqual(10 * 86_400_000);
    expect(await due(us.lineId)).toBe(usBefore);
    // An older record arriving late moves nothing back.
    const late = { id: rid(), iccid: uk.card.iccid, type: 'sms', quantity: 1, startedAt: new Date(at.getTime() - 86_400_000).toISOString() };
    expect((await ctx.post('/api/v1/usage', { records: [late] }, { token })).json.accepted).toBe(1);
    expect(await due(uk.lineId)).toBe(at.getTime() + 180 * 86_400_000);
  });

  it('replays the first answer for an Idempotency-Key, JSON or CSV, and refuses the key with another body', async () => {
    const ctx = get();
    const { lineId, card } = await customerWithLine(ctx);
    await creditMonth(ctx, lineId);
    const token = await carrierToken(ctx);
    const at = ctx.app.deps.clock.now().toISOString();
    const records = [{ id: rid(), iccid: card.iccid, type: 'sms', quantity: 1, startedAt: at }];
    const jsonKey = { 'idempotency-key': `usage-json-${rid()}` };
    const first = await ctx.post('/api/v1/usage', { records }, { token, headers: jsonKey });
    expect(first.json).toMatchObject({ accepted: 1, duplicates: 0 });
    const replay = await ctx.post('/api/v1/usage', { records }, { token, headers: jsonKey });
    expect(replay.json).toEqual(first.json);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await ctx.post('/api/v1/usage', { records: [{ ...records[0], id: rid() }] }, { token, headers: jsonKey });
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('idempotency_key_reused');

    const csvKey = { 'content-type': 'text/csv', 'idempotency-key': `usage-csv-${rid()}` };
    const csv = `id,iccid,type,quantity,startedAt\n${rid()},${card.iccid},sms,1,${at}\n${rid()},${card.iccid},sms,1,${at}\n`;
    const csvFirst = await ctx.call('POST', '/api/v1/usage', { token, headers: csvKey, raw: csv });
    expect(csvFirst.json).toMatchObject({ accepted: 2, duplicates: 0 });
    const csvReplay = await ctx.call('POST', '/api/v1/usage', { token, headers: csvKey, raw: csv });
    expect(csvReplay.json).toEqual(csvFirst.json);
    expect(csvReplay.headers['idempotent-replayed']).toBe('true');
    const csvOther = await ctx.call('POST', '/api/v1/usage', { token, headers: csvKey, raw: `${csv}${rid()},${card.iccid},sms,1,${at}\n` });
    expect(csvOther.status).toBe(409);
    expect(csvOther.json.code).toBe('idempotency_key_reused');
    // Without a key a repeat is answered afresh: every record a duplicate, nothing drawn twice.
    expect((await ctx.call('POST', '/api/v1/usage', { token, headers: { 'content-type': 'text/csv' }, raw: csv })).json).toMatchObject({ accepted: 0, duplicates: 2 });
    expect((await buckets(ctx, lineId)).sms).toBe(10 - 3);
  });

  it('rates a CSV feed streamed over a real connection in chunks as they arrive', async () => {
    const ctx = get();
    const { lineId, card } = await customerWithLine(ctx);
    await creditMonth(ctx, lineId);
    const token = await carrierToken(ctx);
    const at = ctx.app.deps.clock.now().toISOString();
    if (!ctx.app.http.server.listening) await ctx.app.http.listen({ port: 0, host: '127.0.0.1' });
    const address = ctx.app.http.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    // A request body with no length: the server must read it as a stream, not walk it as data.
    const rows = ['id,iccid,type,quantity,startedAt\n', ...Array.from({ length: 3 }, () => `${rid()},${card.iccid},sms,1,${at}\n`)];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const row of rows) controller.enqueue(new TextEncoder().encode(row));
        controller.close();
      },
    });
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/usage`, {
      method: 'POST', headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` }, body, duplex: 'half', signal: AbortSignal.timeout(20_000),
    } as RequestInit);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ accepted: 3, duplicates: 0, rejectedCount: 0 });
    expect((await buckets(ctx, lineId)).sms).toBe(10 - 3);
  });
});
