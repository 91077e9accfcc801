// Usage by day: a chart (uPlot, in its own lazy chunk, loaded only when the chart is shown) or a
// table with the same numbers, for screen readers and for anyone who prefers figures.
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { lineUsageQuery } from '../queries';
import { toDayUsage, useDayLabel, type DayUsage } from './usage-days';
import styles from './line-detail.module.css';

const UsageChart = lazy(() => import('./usage-chart'));

function UsageTable({ days }: { days: readonly DayUsage[] }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const dayLabel = useDayLabel();
  return (
    <div className={styles.tableWrap}>
      <table className={styles.table}>
        <caption className="visually-hidden">{t('detail.usageCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('detail.usageDay')}</th>
            <th scope="col">{t('detail.usageData')}</th>
            <th scope="col">{t('detail.usageVoice')}</th>
            <th scope="col">{t('detail.usageSms')}</th>
          </tr>
        </thead>
        <tbody>
          {days.map((day) => (
            <tr key={day.at}>
              <th scope="row">{dayLabel(day.at)}</th>
              <td>{format.number(day.dataMb)}</td>
              <td>{format.number(day.voiceMin)}</td>
              <td>{format.number(day.sms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UsageBody({ days, asTable }: { days: readonly DayUsage[]; asTable: boolean }) {
  const { t } = useTranslation('lines');
  if (days.length === 0) return <p className={styles.meta}>{t('detail.noUsage')}</p>;
  if (asTable) return <UsageTable days={days} />;
  return (
    <Suspense fallback={<SkeletonBlock height="12rem" />}>
      <UsageChart days={days} />
    </Suspense>
  );
}

export function UsageSection({ lineId }: { lineId: string }) {
  const { t } = useTranslation('lines');
  const usage = useQuery({ ...lineUsageQuery(lineId), select: (answer) => answer.items.map(toDayUsage) });
  const [asTable, setAsTable] = useState(false);
  let body;
  if (usage.data) body = <UsageBody days={usage.data} asTable={asTable} />;
  else if (usage.error) body = <SectionError error={usage.error} onRetry={() => void usage.refetch()} />;
  else body = <div aria-busy="true"><SkeletonBlock height="12rem" /></div>;
  return (
    <section className={styles.card} aria-labelledby="line-usage">
      <div className={styles.sectionHeading}>
        <h2 id="line-usage">{t('detail.usage')}</h2>
        {usage.data && usage.data.length > 0 && (
          <button type="button" className="button-secondary" onClick={() => setAsTable((value) => !value)}>
            {asTable ? t('detail.showChart') : t('detail.showTable')}
          </button>
        )}
      </div>
      <p className={styles.meta}>{t('detail.usageRange')}</p>
      {body}
    </section>
  );
}
