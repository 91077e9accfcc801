// What the tests' payment-provider fakes share: RSA key pairs in PEM, and the headers WeChat Pay
// signs its answers and notifications with (its platform key over timestamp, nonce and body).
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { wechatPayResponseMessage } from '../../src/adapters/payments/wechat-pay.ts';

/** A fresh 2048-bit RSA key pair: SPKI public and PKCS#8 private key, both PEM. */
export function rsaPemPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** The headers of a WeChat Pay answer or notification with this body, signed by the platform key. */
export function wechatPlatformHeaders(platformPrivateKey: string, body: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const signature = createSign('RSA-SHA256').update(wechatPayResponseMessage(timestamp, nonce, body), 'utf8').sign(platformPrivateKey, 'base64');
  return {
    'content-type': 'application/json', 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce,
    'wechatpay-signature': signature, 'wechatpay-serial': 'PUB_KEY_ID_0000',
  };
}
