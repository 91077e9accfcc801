// Demo data (API.md "Configuration"): a new embedded database seeds itself in development, so
// `npm start` shows a working product; production never does unless SIMKEEP_DEMO=1 says so — the
// demo's public account, cards and coupons have no place on a real service.
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../support/harness.ts';

const DEMO_LOGIN = { email: 'demo@simkeep.test', password: 'keep-my-number-2026' };

async function startOnNewEmbeddedDatabase(env: Record<string, string>) {
  // SIMKEEP_DEMO '' unsets the harness's SIMKEEP_DEMO=1: the default rule applies.
  return startTestApp('pglite', { SIMKEEP_DEMO: '', ...env });
}

describe('seeding demo data on a new embedded database', () => {
  it('does not seed in production without SIMKEEP_DEMO=1', async () => {
    const { ctx, stop } = await startOnNewEmbeddedDatabase({ NODE_ENV: 'production', SIMKEEP_SANDBOX: '0' });
    try {
      expect(ctx.app.startup.seeded).toBe(false);
      expect((await ctx.post('/api/v1/auth/login', DEMO_LOGIN)).status).toBe(401);
      const { rows } = await ctx.db.query<{ n: number }>('SELECT count(*)::int AS n FROM sims');
      expect(rows[0]?.n).toBe(0);
    } finally {
      await stop();
    }
  });

  it('seeds in production when SIMKEEP_DEMO=1 is set explicitly, and in development by default', async () => {
    const envs: Array<Record<string, string>> = [{ NODE_ENV: 'production', SIMKEEP_SANDBOX: '0', SIMKEEP_DEMO: '1' }, { NODE_ENV: 'development' }];
    for (const env of envs) {
      const { ctx, stop } = await startOnNewEmbeddedDatabase(env);
      try {
        expect(ctx.app.startup.seeded, JSON.stringify(env)).toBe(true);
        expect((await ctx.post('/api/v1/auth/login', DEMO_LOGIN)).status, JSON.stringify(env)).toBe(200);
      } finally {
        await stop();
      }
    }
  });
});
