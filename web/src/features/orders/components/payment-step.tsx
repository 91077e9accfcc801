// What an unpaid order asks of the subscriber in this browser: continue on the provider's page, scan
// a code (drawn here, lazily: the QR encoder is its own chunk), pay in WeChat Pay's own cashier
// (inside WeChat: opened once on arrival, again on request after a cancel or a failure), or —
// Alipay inside WeChat, which blocks Alipay's pages — open the payment link in another browser.
// Whatever the cashier says, the order page keeps waiting for the server to say the order is paid.
import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { currentBrowserKind, paymentStepFor, type BrowserKind, type JsapiRequest } from '../../../lib/payment-flow';
import type { Order } from '../queries';
import { payWithWechatBridge, type JsapiOutcome } from '../wechat-bridge';
import styles from './order.module.css';

const QR_SIZE_PX = 240;

function QrCode({ data, browser, method }: { data: string; browser: BrowserKind; method: string }) {
  const { t } = useTranslation('orders');
  const image = useQuery({
    queryKey: ['qr-code', data] as const,
    queryFn: async () => (await import('qrcode')).toDataURL(data, { margin: 1, width: QR_SIZE_PX }),
    staleTime: Infinity,
  });
  return (
    <div className={styles.qr}>
      {image.data ? (
        <img src={image.data} width={QR_SIZE_PX} height={QR_SIZE_PX} alt={t('pay.qrAlt')} />
      ) : (
        <span className={styles.qrPlaceholder} aria-hidden="true" />
      )}
      <p>{method === 'alipay' ? t('pay.qrHintAlipay') : t(`pay.qrHint.${browser}`)}</p>
    </div>
  );
}

function CopyLink({ url }: { url: string }) {
  const { t } = useTranslation('orders');
  const [copied, setCopied] = useState(false);
  return (
    <div className={styles.copy}>
      <code className={styles.link}>{url}</code>
      <button
        type="button"
        className="button-secondary"
        onClick={() => void navigator.clipboard?.writeText(url).then(() => setCopied(true), () => setCopied(false))}
      >
        {copied ? t('pay.copied') : t('pay.copyLink')}
      </button>
    </div>
  );
}

function WechatJsapiPay({ request }: { request: JsapiRequest }) {
  const { t } = useTranslation('orders');
  const [state, setState] = useState<'opening' | JsapiOutcome>('opening');
  // The order is polled: its arguments arrive as a new object every 2 s, the same stored ones each
  // time (the server signs them once per payment), so the first are kept.
  const [args] = useState(() => ({ ...request }));
  const opened = useRef(false);
  const pay = useCallback(() => {
    setState('opening');
    void payWithWechatBridge(args).then(setState);
  }, [args]);
  useEffect(() => {
    if (opened.current) return;
    opened.current = true;
    pay();
  }, [pay]);
  if (state === 'opening' || state === 'ok') return <p role="status">{t(state === 'ok' ? 'pay.jsapi.sent' : 'pay.jsapi.opening')}</p>;
  return (
    <div className={styles.jsapiRetry}>
      <p role="alert">{t(`pay.jsapi.${state}`)}</p>
      <button type="button" className="button" onClick={pay}>{t('pay.jsapi.retry')}</button>
    </div>
  );
}

export function PaymentStep({ order }: { order: Order }) {
  const { t } = useTranslation('orders');
  const browser = currentBrowserKind();
  const step = paymentStepFor(order.paymentMethod, order.payment?.action, browser);
  if (step.kind === 'none') return null;
  return (
    <section className={styles.pay} aria-labelledby="pay-title">
      <h2 id="pay-title">{t('pay.title')}</h2>
      {step.kind === 'redirect' && <a className="button" href={step.url}>{t('pay.continue')}</a>}
      {step.kind === 'qr' && <QrCode data={step.qrData} browser={browser} method={order.paymentMethod} />}
      {step.kind === 'jsapi' && <WechatJsapiPay request={step.request} />}
      {step.kind === 'open_in_browser' && (
        <>
          <p role="note">{t('pay.openInBrowser')}</p>
          <CopyLink url={step.url} />
        </>
      )}
    </section>
  );
}
