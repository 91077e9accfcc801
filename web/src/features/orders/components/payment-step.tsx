// What an unpaid order asks of the subscriber in this browser: continue on the provider's page, scan
// a code (drawn here, lazily: the QR encoder is its own chunk), or — Alipay inside WeChat, which
// blocks Alipay's pages — open the payment link in another browser.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { currentBrowserKind, paymentStepFor, type BrowserKind } from '../../../lib/payment-flow';
import type { Order } from '../queries';
import styles from './order.module.css';

const QR_SIZE_PX = 240;

function QrCode({ data, browser }: { data: string; browser: BrowserKind }) {
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
      <p>{t(`pay.qrHint.${browser}`)}</p>
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

export function PaymentStep({ order }: { order: Order }) {
  const { t } = useTranslation('orders');
  const browser = currentBrowserKind();
  const step = paymentStepFor(order.paymentMethod, order.payment?.action, browser);
  if (step.kind === 'none') return null;
  return (
    <section className={styles.pay} aria-labelledby="pay-title">
      <h2 id="pay-title">{t('pay.title')}</h2>
      {step.kind === 'redirect' && <a className="button" href={step.url}>{t('pay.continue')}</a>}
      {step.kind === 'qr' && <QrCode data={step.qrData} browser={browser} />}
      {step.kind === 'open_in_browser' && (
        <>
          <p role="note">{t('pay.openInBrowser')}</p>
          <CopyLink url={step.url} />
        </>
      )}
    </section>
  );
}
