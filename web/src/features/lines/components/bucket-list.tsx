import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../../lib/format';
import type { LineDetail } from '../queries';
import styles from './line-detail.module.css';

type Bucket = LineDetail['buckets'][number];

function BucketItem({ bucket }: { bucket: Bucket }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  const labelId = useId();
  const source = t(`detail.source.${bucket.source}`, { defaultValue: bucket.source });
  const amounts = { remaining: format.number(bucket.remaining), total: format.number(bucket.total) };
  const text = t(`card.left.${bucket.unit}`, amounts);
  return (
    <li className={styles.bucket}>
      <span id={labelId} className={styles.bucketLabel}>{t('detail.bucketLabel', { unit: t(`card.units.${bucket.unit}`), source })}</span>
      <meter aria-labelledby={labelId} aria-valuetext={text} min={0} max={Math.max(bucket.total, bucket.remaining, 1)} value={bucket.remaining} low={Math.max(bucket.total, 1) * 0.2} optimum={Math.max(bucket.total, 1)} />
      <span className={styles.bucketText}>{text}</span>
      <span className={styles.bucketText}>{t('detail.bucketExpires', { date: format.dateTime(bucket.expiresAt) })}</span>
    </li>
  );
}

/** The buckets in the order the API gives them, which is the order they will be used up. */
export function BucketList({ buckets }: { buckets: LineDetail['buckets'] }) {
  const { t } = useTranslation('lines');
  return (
    <section className={styles.card} aria-labelledby="line-buckets">
      <h2 id="line-buckets">{t('detail.buckets')}</h2>
      {buckets.length === 0 ? (
        <p className={styles.meta}>{t('detail.noBuckets')}</p>
      ) : (
        <>
          <p className={styles.meta}>{t('detail.bucketsOrder')}</p>
          <ol className={styles.buckets}>
            {buckets.map((bucket, i) => <BucketItem key={`${bucket.unit}-${bucket.expiresAt}-${i}`} bucket={bucket} />)}
          </ol>
        </>
      )}
    </section>
  );
}
