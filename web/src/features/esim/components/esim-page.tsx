// Installing a line's eSIM, routed by device: iOS 17.4+ gets Apple's one-tap link; every other
// device the QR code (an <img> of the server's SVG, never markup put into the page) and the SM-DP+
// address and Matching ID parsed from the activation code with the server's own parser, with copy
// buttons. The code works once, and the page says so before anything else.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { parseActivationCode } from '../../../../../src/domain/activation-code';
import { CopyButton } from '../../../components/copy-button';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { paths } from '../../../paths';
import { installRouteFor } from '../device';
import { esimQuery, type EsimInstall } from '../queries';
import styles from './esim.module.css';

function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

function ManualValue({ label, value, copyLabel }: { label: string; value: string; copyLabel: string }) {
  const { t } = useTranslation('esim');
  return (
    <div className={styles.value}>
      <dt>{label}</dt>
      <dd>
        <code className={styles.code}>{value}</code>
        <CopyButton value={value} label={copyLabel} copied={t('copied')} failed={t('copyFailed')} />
      </dd>
    </div>
  );
}

function QrInstall({ install }: { install: EsimInstall }) {
  const { t } = useTranslation('esim');
  const parsed = parseActivationCode(install.activationCode);
  return (
    <>
      <section className={styles.card} aria-labelledby="esim-qr">
        <h2 id="esim-qr">{t('qr.title')}</h2>
        <p>{t('qr.steps')}</p>
        <img className={styles.qr} src={svgDataUrl(install.qrSvg)} alt={t('qr.alt')} width={240} height={240} />
      </section>
      <section className={styles.card} aria-labelledby="esim-manual">
        <h2 id="esim-manual">{t('manual.title')}</h2>
        <p>{t('manual.steps')}</p>
        {parsed.ok ? (
          <dl className={styles.values}>
            <ManualValue label={t('manual.smdp')} value={parsed.value.smdpAddress} copyLabel={t('manual.copySmdp')} />
            {parsed.value.matchingId !== '' && <ManualValue label={t('manual.matchingId')} value={parsed.value.matchingId} copyLabel={t('manual.copyMatchingId')} />}
          </dl>
        ) : (
          <p className={styles.meta}>{t('manual.unreadable')}</p>
        )}
        {parsed.ok && parsed.value.confirmationCodeRequired && <p className={styles.meta}>{t('manual.confirmationCode')}</p>}
      </section>
    </>
  );
}

function EsimInstallView({ install }: { install: EsimInstall }) {
  const { t } = useTranslation('esim');
  if (installRouteFor(navigator.userAgent) === 'qr') return <QrInstall install={install} />;
  return (
    <>
      <section className={styles.card} aria-labelledby="esim-ios">
        <h2 id="esim-ios">{t('ios.title')}</h2>
        <p>{t('ios.steps')}</p>
        <p><a className="button" href={install.installUrl}>{t('ios.install')}</a></p>
      </section>
      <details className={styles.other}>
        <summary>{t('ios.otherWays')}</summary>
        <QrInstall install={install} />
      </details>
    </>
  );
}

function EsimBody({ lineId }: { lineId: string }) {
  const { t } = useTranslation('esim');
  const errorText = useErrorText();
  const install = useQuery(esimQuery(lineId));
  if (install.data) return <EsimInstallView install={install.data} />;
  if (install.error && errorCodeOf(install.error) === 'not_esim') {
    return <p className={styles.notice} role="alert">{errorText(install.error)} {t('notEsimHint')}</p>;
  }
  if (install.error) return <SectionError error={install.error} onRetry={() => void install.refetch()} />;
  return (
    <div className={styles.card} aria-busy="true" role="status" aria-label={t('loading')}>
      <SkeletonBlock width="60%" height="1.4rem" />
      <SkeletonBlock width="15rem" height="15rem" />
      <SkeletonBlock height="2.75rem" />
    </div>
  );
}

export function EsimPage() {
  const { t } = useTranslation('esim');
  const { lineId = '' } = useParams();
  return (
    <div className="page">
      <p className={styles.back}><Link to={paths.line.href(lineId)}>{t('back')}</Link></p>
      <h1>{t('title')}</h1>
      <p className={styles.warning}><strong>{t('once.title')}</strong> {t('once.body')}</p>
      <EsimBody lineId={lineId} />
    </div>
  );
}
