import { useTranslation } from 'react-i18next';
import { SkeletonBlock } from '../../../components/skeleton';
import styles from './lines.module.css';

const PLACEHOLDER_CARDS = 2;

/** Shaped like two line cards, so the page does not jump when they arrive. */
export function LinesSkeleton() {
  const { t } = useTranslation('lines');
  return (
    <div className={styles.grid} aria-busy="true" role="status" aria-label={t('loading')}>
      {Array.from({ length: PLACEHOLDER_CARDS }, (_, i) => (
        <div key={i} className={styles.card}>
          <SkeletonBlock width="55%" height="1.4rem" />
          <SkeletonBlock width="35%" />
          <SkeletonBlock height="0.75rem" />
          <SkeletonBlock height="0.75rem" />
          <SkeletonBlock height="0.75rem" />
          <SkeletonBlock width="45%" />
        </div>
      ))}
    </div>
  );
}
