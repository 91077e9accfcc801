import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pruneIdempotencyKeys } from '../../src/modules/idempotency/service.ts';
import { forEachDatabase } from '../support/harness.ts';
import { buyer, expectLedgerSound, order, plainPlan, topUp, walletOf } from '../support/orders-fixtures.ts';

async function countOrders(ctx: ReturnType<Parameters<Parameters<typeof forEachDatabase>[1]>[0]>, userId: string): Promise<number> {
  const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orders WHERE user_id = $1', [userId]);
  return rows[0]?.n ?? 0;
}

forEachDatabase('placing an order with an Idempotency-Key', (get) => {
  it('replays the same order for the same key and body', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const key = randomUUID();
    const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    const again = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await countOrders(ctx, b.userId)).toBe(1);
  });

  it('refuses the same key with another body: 409 idempotency_key_reused', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const key = randomUUID();
    await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    const other = await order(ctx, b, { planId: plan.id, paymentMethod: 'paypal' }, key);
    expect(other.status).toBe(409);
    expect(other.json.code).toBe('idempotency_key_reused');
    expect(await countOrders(ctx, b.userId)).toBe(1);
  });

  it('creates exactly one order from 10 concurrent requests with one key', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key)));
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.json.id)).size).toBe(1);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status).toBe(409);
      expect(a.json.code).toBe('idempotency_key_in_use');
    }
    expect(await countOrders(ctx, b.userId)).toBe(1);
  });

  it('finds the same order when the process died between the order\'s commit and the stored response', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const key = randomUUID();
    const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    // The crash: the stored response is gone, the order committed.
    await ctx.db.query('DELETE FROM idempotency_keys WHERE key = $1', [key]);
    const retry = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    expect(retry.status).toBe(201);
    expect(retry.json.id).toBe(first.json.id);
    expect(retry.json.payment.id).toBe(first.json.payment.id);
    expect(await countOrders(ctx, b.userId)).toBe(1);
  });

  it('keeps a stored response for at least 24 hours; pruning forgets only keys past the retention', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const key = randomUUID();
    const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    const age = async (k: string, hours: number): Promise<void> => {
      await ctx.db.query(`UPDATE idempotency_keys SET created_at = now() - make_interval(hours => $2) WHERE key = $1`, [k, hours]);
    };
    await age(key, 25);
    const scope = `test-prune-${randomUUID()}`;
    await ctx.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status, response_code, response_body, created_at) VALUES
         ($1, 'old-done', 'h', 'done', 201, '{"body":{}}', now() - interval '49 hours'),
         ($1, 'old-dead', 'h', 'in_progress', NULL, NULL, now() - interval '49 hours')`,
      [scope],
    );
    await pruneIdempotencyKeys(ctx.db, ctx.app.deps.clock);
    const replay = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, key);
    expect([replay.status, replay.json.id, replay.headers['idempotent-replayed']]).toEqual([201, first.json.id, 'true']);
    const left = await ctx.db.query('SELECT key FROM idempotency_keys WHERE scope = $1', [scope]);
    expect(left.rows).toEqual([]);
  });

  it('refuses a key longer than 255 characters with 400', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const r = await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, 'k'.repeat(256));
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('invalid_idempotency_key');
    expect(await countOrders(ctx, b.userId)).toBe(0);
  });

  it('replays a refusal (402) rather than charging on a retry', async () => {
    const ctx = get();
    const b = await buyer(ctx);
    const plan = await plainPlan(ctx, 500);
    const key = randomUUID();
    expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key)).status).toBe(402);
    expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key)).status).toBe(402);
    expect(await countOrders(ctx, b.userId)).toBe(0);
  });

  describe('a wallet order (its answer stored in the order\'s own transaction)', () => {
    it('replays the same order for the same key and charges the wallet once', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      await topUp(ctx, b, 2_000);
      const plan = await plainPlan(ctx, 500);
      const key = randomUUID();
      const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key);
      const again = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key);
      expect([first.status, first.json.status, first.headers['idempotent-replayed']]).toEqual([201, 'paid', undefined]);
      expect([again.status, again.json.id, again.headers['idempotent-replayed']]).toEqual([201, first.json.id, 'true']);
      expect(again.json).toEqual(first.json);
      expect(await walletOf(ctx, b)).toBe(1_500);
      expect(await countOrders(ctx, b.userId)).toBe(2); // the top-up and this one
      const stored = await ctx.db.query<{ status: string; response_code: number; id: string }>(
        `SELECT status, response_code, response_body->'body'->>'id' AS id FROM idempotency_keys WHERE key = $1`, [key],
      );
      expect(stored.rows).toEqual([{ status: 'done', response_code: 201, id: first.json.id }]);
      await expectLedgerSound(ctx);
    });

    it('creates exactly one order and one charge from 10 concurrent requests with one key', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      await topUp(ctx, b, 5_000);
      const plan = await plainPlan(ctx, 500);
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 10 }, () => order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key)));
      const created = answers.filter((a) => a.status === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((a) => a.json.id)).size).toBe(1);
      for (const a of answers.filter((x) => x.status !== 201)) expect([a.status, a.json.code]).toEqual([409, 'idempotency_key_in_use']);
      expect(await walletOf(ctx, b)).toBe(4_500);
      expect(await countOrders(ctx, b.userId)).toBe(2);
      await expectLedgerSound(ctx);
    });

    it('refuses a key used for a card order, and a wallet order\'s key used again with another body: 409 idempotency_key_reused', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      await topUp(ctx, b, 2_000);
      const plan = await plainPlan(ctx, 500);
      const cardKey = randomUUID();
      expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'card' }, cardKey)).status).toBe(201);
      const onCardKey = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, cardKey);
      expect([onCardKey.status, onCardKey.json.code]).toEqual([409, 'idempotency_key_reused']);
      const walletKey = randomUUID();
      expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, walletKey)).status).toBe(201);
      const other = await plainPlan(ctx, 300);
      const onWalletKey = await order(ctx, b, { planId: other.id, paymentMethod: 'wallet' }, walletKey);
      expect([onWalletKey.status, onWalletKey.json.code]).toEqual([409, 'idempotency_key_reused']);
      expect(await walletOf(ctx, b)).toBe(1_500);
      await expectLedgerSound(ctx);
    });

    it('answers a retry with the stored 402 even after the wallet was funded', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      const plan = await plainPlan(ctx, 500);
      const key = randomUUID();
      expect((await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key)).status).toBe(402);
      await topUp(ctx, b, 2_000);
      const retry = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key);
      expect([retry.status, retry.json.code]).toEqual([402, 'insufficient_funds']);
      expect(await walletOf(ctx, b)).toBe(2_000);
      expect(await countOrders(ctx, b.userId)).toBe(1); // the top-up only
      await expectLedgerSound(ctx);
    });

    it('finds the order placed with the key when its stored answer is gone (pruned)', async () => {
      const ctx = get();
      const b = await buyer(ctx);
      await topUp(ctx, b, 2_000);
      const plan = await plainPlan(ctx, 500);
      const key = randomUUID();
      const first = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key);
      await ctx.db.query('DELETE FROM idempotency_keys WHERE key = $1', [key]);
      const retry = await order(ctx, b, { planId: plan.id, paymentMethod: 'wallet' }, key);
      expect([retry.status, retry.json.id]).toEqual([201, first.json.id]);
      expect(await walletOf(ctx, b)).toBe(1_500);
      await expectLedgerSound(ctx);
    });
  });
});
