import { Resvg } from '@resvg/resvg-js';
// jsqr is CommonJS with an `exports.default`: under NodeNext the default import is the module.
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';
import { advanceClockOnly, creditMonth, customerWithLine, relogin } from '../support/lines-fixtures.ts';

/** Renders the SVG as a browser would and reads the QR code back from the pixels. */
function decodeQrSvg(svg: string): string | null {
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: 600 }, background: 'white' }).render().asPng();
  const image = PNG.sync.read(png);
  return jsQR.default(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data ?? null;
}

forEachDatabase('installing an eSIM', (get) => {
  it('gives the owner the activation code, a QR code that decodes to it, and the iOS install link', async () => {
    const ctx = get();
    const { customer, card, lineId } = await customerWithLine(ctx, { form: 'esim' });
    const r = await ctx.get(`/api/v1/lines/${lineId}/esim`, { token: customer.token });
    expect(r.status).toBe(200);
    expect(r.json.activationCode).toBe(card.activationCode);
    expect(r.json.activationCode.startsWith('LPA:1$')).toBe(true);
    expect(r.json.qrSvg.startsWith('<svg')).toBe(true);
    expect(decodeQrSvg(r.json.qrSvg)).toBe(card.activationCode);
    expect(r.json.installUrl).toBe(`https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=${encodeURIComponent(card.activationCode)}`);
    expect(r.headers['cache-control']).toBe('no-store');
  });

  it('adds the LPA: prefix to a code imported without it', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { form: 'esim', activationCode: '1$smdp.example.com$$1.3.6.1.4.1.31746' });
    const r = await ctx.get(`/api/v1/lines/${lineId}/esim`, { token: customer.token });
    expect(r.json.activationCode).toBe('LPA:1$smdp.example.com$$1.3.6.1.4.1.31746');
    expect(decodeQrSvg(r.json.qrSvg)).toBe('LPA:1$smdp.example.com$$1.3.6.1.4.1.31746');
  });

  it('answers 409 not_esim for a physical SIM', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { form: 'physical' });
    const r = await ctx.get(`/api/v1/lines/${lineId}/esim`, { token: customer.token });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('not_esim');
  });

  it('refuses the activation code of a terminated line with 409 line_terminated', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { form: 'esim' });
    const ended = await ctx.post(`/api/v1/admin/lines/${lineId}/terminate`, undefined, { token: await ctx.adminToken() });
    expect(ended.status).toBe(200);
    const r = await ctx.get(`/api/v1/lines/${lineId}/esim`, { token: customer.token });
    expect(r.status).toBe(409);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json.code).toBe('line_terminated');
    expect(r.text).not.toContain('MATCH-');
  });

  it('refuses the activation code of a recycled line with 409 line_recycled, even before the sweep stored it', async () => {
    const ctx = get();
    const { customer, lineId } = await customerWithLine(ctx, { form: 'esim', carrier: 'us-paygo' });
    await creditMonth(ctx, lineId);
    // us-paygo: suspended at day 30, recycled at day 60; the worker does not run here.
    await advanceClockOnly(ctx, 61 * 86_400);
    const stored = await ctx.db.query<{ status: string }>('SELECT status FROM lines WHERE id = $1', [lineId]);
    expect(stored.rows[0]?.status).toBe('active');
    const r = await ctx.get(`/api/v1/lines/${lineId}/esim`, { token: await relogin(ctx, customer) });
    expect(r.status).toBe(409);
    expect(r.json.code).toBe('line_recycled');
    expect(r.text).not.toContain('MATCH-');
  });

  it('never shows another customer the activation code', async () => {
    const ctx = get();
    const { lineId } = await customerWithLine(ctx, { form: 'esim' });
    const other = await ctx.customer();
    const r = await ctx.get(`/api/v1/lines/${lineId}/esim`, { token: other.token });
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('line_not_found');
    expect(r.text).not.toContain('MATCH-');
  });
});
