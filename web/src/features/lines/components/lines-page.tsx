import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, Outlet } from 'react-router';
import { SectionError } from '../../../components/section-error';
import { paths } from '../../../paths';
import { linesQuery, type Line } from '../queries';
import { LineCard } from './line-card';
import { LinesSkeleton } from './lines-skeleton';
import styles from './lines.module.css';

function LinesList({ lines }: { lines: readonly Line[] }) {
  const { t } = useTranslation('lines');
  if (lines.length === 0) {
    return (
      <section className={styles.empty} aria-labelledby="lines-empty">
        <h2 id="lines-empty">{t('empty.title')}</h2>
        <p>{t('empty.body')}</p>
        <Link className="button" to={paths.bindCard.href()}>{t('empty.bind')}</Link>
      </section>
    );
  }
  return (
    <ul className={styles.grid} aria-label={t('list.label')}>
      {lines.map((line) => (
        <li key={line.id}><LineCard line={line} /></li>
      ))}
    </ul>
  );
}

export function LinesPage() {
  const { t } = useTranslation('lines');
  const lines = useQuery(linesQuery());
  let body;
  // Data first, then error, then loading: a refetch that fails must not hide lines already shown.
  if (lines.data) body = <LinesList lines={lines.data} />;
  else if (lines.error) body = <SectionError error={lines.error} onRetry={() => void lines.refetch()} />;
  else body = <LinesSkeleton />;
  return (
    <div className="page">
      <div className={styles.heading}>
        <h1>{t('title')}</h1>
        {lines.data && lines.data.length > 0 && <Link className="button-secondary" to={paths.bindCard.href()}>{t('bindAnother')}</Link>}
      </div>
      <Outlet />
      {body}
    </div>
  );
}
