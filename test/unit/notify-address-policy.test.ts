import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../src/adapters/notify/address-policy.ts';
import { checkWebhookUrl, signatureHeaderValue } from '../../src/adapters/notify/webhook.ts';

describe('which addresses a webhook may reach', () => {
  it.each(['8.8.8.8', '93.184.215.14', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (a) => {
    expect(isPublicAddress(a)).toBe(true);
  });

  it.each([
    '127.0.0.1', '127.255.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '198.18.0.1', '224.0.0.1', '255.255.255.255', '::', '::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', 'fe80::1',
    'fe80::1%eth0', 'fc00::1', 'fd12:3456::1', 'ff02::1', '64:ff9b::a00:1', '2002:a00:1::1', '2001:db8::1', 'example.com', '',
  ])('refuses %s', (a) => {
    expect(isPublicAddress(a)).toBe(false);
  });

  it('refuses URLs with credentials or another scheme even when private addresses are allowed', async () => {
    await expect(checkWebhookUrl('https://u:p@example.com/', true)).rejects.toThrow(/credentials/);
    await expect(checkWebhookUrl('file:///etc/passwd', true)).rejects.toThrow(/https/);
    await expect(checkWebhookUrl('http://127.0.0.1:9/hook', true)).resolves.toBeInstanceOf(URL);
  });

  it('signs "<t>.<body>" with HMAC-SHA256', () => {
    // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expect(signatureHeaderValue('whsec_test', 1_700_000_000, '{"a":1}')).toBe('t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789');
  });
});
