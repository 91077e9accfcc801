// The private iCalendar link: shown read-only with a copy button and how to subscribe; "Make a new link"
// asks first, because the old link stops working at once in every calendar app that has it.
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CopyButton } from '../../../components/copy-button';
import { useErrorText } from '../../../components/error-text';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useRotateCalendarFeed } from '../mutations';
import { calendarFeedQuery } from '../queries';
import styles from './calendar.module.css';

function RotateFeed() {
  const { t } = useTranslation('calendar');
  const errorText = useErrorText();
  const rotate = useRotateCalendarFeed();
  const [confirming, setConfirming] = useState(false);
  return (
    <div className={styles.rotate}>
      {rotate.error && <p className={styles.error} role="alert">{errorText(rotate.error)}</p>}
      {confirming ? (
        <div className={styles.confirm} role="group" aria-label={t('feed.confirmLabel')}>
          <p>{t('feed.confirmBody')}</p>
          <div className={styles.buttons}>
            <button type="button" className="button" disabled={rotate.isPending} onClick={() => rotate.mutate(undefined, { onSuccess: () => setConfirming(false) })}>
              {t('feed.confirm')}
            </button>
            <button type="button" className="button-secondary" onClick={() => setConfirming(false)}>{t('feed.keep')}</button>
          </div>
        </div>
      ) : (
        <button type="button" className="button-secondary" onClick={() => { rotate.reset(); setConfirming(true); }}>{t('feed.rotate')}</button>
      )}
      <p role="status" className={styles.rotated}>{rotate.isSuccess && !confirming ? t('feed.rotated') : ''}</p>
    </div>
  );
}

export function CalendarFeed() {
  const { t } = useTranslation('calendar');
  const feed = useQuery(calendarFeedQuery());
  const titleId = useId();
  const fieldId = useId();
  let body;
  if (feed.data) {
    body = (
      <>
        <label htmlFor={fieldId} className={styles.feedLabel}>{t('feed.label')}</label>
        <input id={fieldId} className={styles.feedUrl} type="url" readOnly value={feed.data.url} onFocus={(event) => event.target.select()} />
        <CopyButton value={feed.data.url} label={t('feed.copy')} copied={t('feed.copied')} failed={t('feed.copyFailed')} />
        <RotateFeed />
      </>
    );
  } else if (feed.error) {
    body = <SectionError error={feed.error} onRetry={() => void feed.refetch()} />;
  } else {
    body = <div aria-busy="true" role="status" aria-label={t('feed.loading')}><SkeletonBlock height="2.5rem" /></div>;
  }
  return (
    <section className={styles.feed} aria-labelledby={titleId}>
      <h2 id={titleId}>{t('feed.title')}</h2>
      <p>{t('feed.explain')}</p>
      <p className={styles.private}>{t('feed.private')}</p>
      {body}
    </section>
  );
}
