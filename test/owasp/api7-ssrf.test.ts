// OWASP API Security Top 10 (2023) — API7 Server Side Request Forgery.
// The one URL a subscriber hands the server to call is its notification webhook. Every address that
// reaches inside — loopback, private ranges, link-local cloud metadata, IPv6 and IPv4-mapped
// spellings, decimal and octal IPv4, credentials in the URL, other schemes — is refused with 422
// `webhook_url_not_allowed` and not saved.
import { expect, it } from 'vitest';
import { forEachDatabase } from '../support/harness.ts';

const INSIDE = [
  'http://127.0.0.1/hook', 'http://127.1/hook', 'http://2130706433/hook', 'http://0177.0.0.1/hook', 'http://0x7f000001/hook', 'http://0.0.0.0/hook',
  'http://localhost/hook', 'http://LOCALHOST./hook', 'http://10.1.2.3/hook', 'http://172.16.0.1/hook', 'http://192.168.0.10/hook',
  'http://169.254.169.254/latest/meta-data/', 'http://[::1]/hook', 'http://[::]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://[::ffff:a9fe:a9fe]/hook',
  'http://[fc00::1]/hook', 'http://[fe80::1]/hook', 'http://100.64.0.1/hook', 'http://user:secret@example.com/hook',
  'file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'ftp://example.com/hook', 'javascript:alert(1)', 'http://', 'not a url',
];

forEachDatabase('OWASP API7: server-side request forgery', (get) => {
  it('refuses every webhook URL that reaches inside with 422 webhook_url_not_allowed and saves none', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const accepted: string[] = [];
    for (const url of INSIDE) {
      const r = await ctx.patch('/api/v1/me/notification-settings', { webhook: { url } }, { token: c.token });
      if (r.status !== 422 || r.json.code !== 'webhook_url_not_allowed') accepted.push(`${url} → ${r.status} ${r.json?.code}`);
    }
    expect(accepted).toEqual([]);
    expect((await ctx.get('/api/v1/me/notification-settings', { token: c.token })).json.webhook).toBeNull();
  });

  it('accepts a public https URL (the check is not a blanket refusal)', async () => {
    const ctx = get();
    const c = await ctx.customer();
    const r = await ctx.patch('/api/v1/me/notification-settings', { webhook: { url: 'https://93.184.215.14/simkeep-hook' } }, { token: c.token });
    expect(r.status, r.text).toBe(200);
  });
});
