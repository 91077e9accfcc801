// The composition root: configuration is read-only once the server listens — the public URL of a
// server started on PORT=0 lives in the app's deps, computed from the address it bound.
import pino from 'pino';
import { expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { openTestPglite, testConfig } from '../support/harness.ts';

it('derives the public URL from the bound port into deps and leaves the configuration as loaded', async () => {
  const config = testConfig({ PORT: '0', HOST: '127.0.0.1' });
  const before = structuredClone(config);
  const db = await openTestPglite();
  const app = await createApp(config, { db, logger: pino({ level: 'silent' }), startWorker: false, listen: { host: '127.0.0.1', port: 0 } });
  try {
    const address = app.http.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(port).toBeGreaterThan(0);
    expect(app.deps.publicUrl()).toBe(`http://127.0.0.1:${port}`);
    expect(config).toEqual(before);
    expect(config.publicUrl).toBe('http://127.0.0.1:0');
    // The sandbox's hosted page is announced at the address actually bound.
    const sandbox = app.deps.payments.forMethod('card');
    const created = await sandbox.createPayment({
      paymentId: 'pay_composition', orderId: 'ord_composition', amount: { amountMinor: 100, currency: 'USD' },
      description: 'test', returnUrl: `${app.deps.publicUrl()}/orders/ord_composition`, notifyUrl: `${app.deps.publicUrl()}/api/v1/webhooks/sandbox`,
    });
    expect(created.action).toEqual({ type: 'redirect', url: `http://127.0.0.1:${port}/sandbox/pay/pay_composition` });
  } finally {
    await app.close();
    await db.close();
  }
});
