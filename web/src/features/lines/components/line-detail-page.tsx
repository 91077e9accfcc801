// One line in full: status, number and nickname, how to keep the number, the buckets in the order
// they will be used, usage by day (chart in a lazy chunk, or a table), the line's orders and wallet.
// Auto-renew editing is a child route shown above the details, so Back closes it.
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useParams } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { StatusChip } from '../../../components/status-chip';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { lineQuery, type LineDetail } from '../queries';
import { lineStatusTone } from '../status-tone';
import { BucketList } from './bucket-list';
import { KeepingAdvice } from './keeping-advice';
import { LineOrders } from './line-orders';
import { NicknameForm } from './nickname-form';
import { UsageSection } from './usage-section';
import styles from './line-detail.module.css';

/** A card number in groups of four, as printed on the card. */
function grouped(iccid: string): string {
  return iccid.replace(/(\d{4})(?=\d)/g, '$1 ');
}

function AutoRenewSummary({ line }: { line: LineDetail }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const { enabled, monthlyCap } = line.autoRenew;
  let text = t('detail.autoRenewOff');
  if (enabled) text = monthlyCap ? t('detail.autoRenewOnCapped', { cap: format.money(monthlyCap) }) : t('detail.autoRenewOn');
  return (
    <div>
      <dt>{t('detail.autoRenew')}</dt>
      <dd>
        {text}{' '}
        <Link to={paths.lineAutoRenew.href(line.id)}>{t('detail.changeAutoRenew')}</Link>
      </dd>
    </div>
  );
}

function LineDetailView({ line }: { line: LineDetail }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const titleId = useId();
  const number = line.msisdn ?? grouped(line.iccid);
  return (
    <div className="page">
      <p className={styles.back}><Link to={paths.lines.href()}>{t('detail.back')}</Link></p>
      <header className={styles.header} aria-labelledby={titleId}>
        <div>
          <h1 id={titleId} className={styles.title}>{line.nickname ?? number}</h1>
          <p className={styles.meta}>{line.nickname ? `${number} · ` : ''}{line.carrierName} · {t(`detail.form.${line.form}`)}</p>
        </div>
        <StatusChip tone={lineStatusTone(line.status)} status={line.status}>{t(`status.${line.status}`)}</StatusChip>
      </header>
      <Outlet />
      <section className={styles.card} aria-labelledby="line-overview">
        <h2 id="line-overview">{t('detail.overview')}</h2>
        <dl className={styles.facts}>
          <div><dt>{t('card.plan')}</dt><dd>{line.plan?.name ?? t('card.noPlan')}</dd></div>
          <div><dt>{t('card.wallet')}</dt><dd>{format.money(line.balances.wallet)}</dd></div>
          {line.expiresAt && <div><dt>{t('detail.expires')}</dt><dd>{format.date(line.expiresAt)}</dd></div>}
          <AutoRenewSummary line={line} />
        </dl>
        <KeepingAdvice line={line} />
        {line.form === 'esim' && <p><Link className="button-secondary" to={paths.lineEsim.href(line.id)}>{t('detail.installEsim')}</Link></p>}
        <NicknameForm line={line} />
      </section>
      <BucketList buckets={line.buckets} />
      <UsageSection lineId={line.id} />
      <LineOrders lineId={line.id} />
    </div>
  );
}

function LineDetailSkeleton() {
  const { t } = useTranslation('lines');
  return (
    <div className="page" aria-busy="true" role="status" aria-label={t('detail.loading')}>
      <SkeletonBlock width="50%" height="1.75rem" />
      <SkeletonBlock width="35%" />
      <div className={styles.card}>
        <SkeletonBlock height="4rem" />
        <SkeletonBlock height="2.5rem" />
      </div>
      <div className={styles.card}>
        <SkeletonBlock height="0.75rem" />
        <SkeletonBlock height="0.75rem" />
        <SkeletonBlock height="0.75rem" />
      </div>
    </div>
  );
}

export function LineDetailPage() {
  const { lineId = '' } = useParams();
  const line = useQuery(lineQuery(lineId));
  // Data first, then error, then loading: a failed refetch must not hide a line already shown.
  if (line.data) return <LineDetailView line={line.data} />;
  if (line.error) return <div className="page"><SectionError error={line.error} onRetry={() => void line.refetch()} /></div>;
  return <LineDetailSkeleton />;
}
