// The in-app copy of every message sent by email or webhook, newest first; unread ones stand out and
// can be marked read one by one. Titles and bodies come from the server, written in the account's language.
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useErrorText } from '../../../components/error-text';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { useMarkRead } from '../mutations';
import { notificationsQuery, type Notice } from '../queries';
import styles from './notifications.module.css';

function NoticeItem({ notice }: { notice: Notice }) {
  const { t } = useTranslation('notifications');
  const format = useFormat();
  const errorText = useErrorText();
  const markRead = useMarkRead();
  const titleId = useId();
  const unread = notice.readAt === null;
  return (
    <li>
      <article className={styles.notice} data-unread={unread} aria-labelledby={titleId}>
        <header className={styles.noticeHeader}>
          <h2 id={titleId} className={styles.noticeTitle}>
            {unread && <span className={styles.dot}>{t('unread')}</span>}
            {notice.title}
          </h2>
          <time className={styles.meta} dateTime={notice.createdAt}>{format.dateTime(notice.createdAt)}</time>
        </header>
        <p className={styles.body}>{notice.body}</p>
        <div className={styles.actions}>
          {notice.orderId && <Link to={paths.order.href(notice.orderId)}>{t('viewOrder')}</Link>}
          {notice.lineId && <Link to={paths.line.href(notice.lineId)}>{t('viewLine')}</Link>}
          {unread && (
            <button type="button" className="button-secondary" aria-describedby={titleId} disabled={markRead.isPending} onClick={() => markRead.mutate(notice.id)}>
              {t('markRead')}
            </button>
          )}
        </div>
        {markRead.error && <p className={styles.error} role="alert">{errorText(markRead.error)}</p>}
      </article>
    </li>
  );
}

function NoticesSkeleton() {
  const { t } = useTranslation('notifications');
  return (
    <div className={styles.list} aria-busy="true" role="status" aria-label={t('loading')}>
      {[0, 1, 2].map((i) => (
        <div key={i} className={styles.notice}>
          <SkeletonBlock width="60%" height="1.2rem" />
          <SkeletonBlock />
          <SkeletonBlock width="40%" />
        </div>
      ))}
    </div>
  );
}

export function NotificationsPage() {
  const { t } = useTranslation('notifications');
  const notices = useQuery(notificationsQuery());
  let body;
  if (notices.data) {
    body = notices.data.items.length === 0
      ? <section className={styles.empty}><h2>{t('empty.title')}</h2><p>{t('empty.body')}</p></section>
      : <ul className={styles.list} aria-label={t('listLabel')}>{notices.data.items.map((n) => <NoticeItem key={n.id} notice={n} />)}</ul>;
  } else if (notices.error) {
    body = <SectionError error={notices.error} onRetry={() => void notices.refetch()} />;
  } else {
    body = <NoticesSkeleton />;
  }
  return (
    <div className="page">
      <div className={styles.heading}>
        <h1>{t('title')}</h1>
        <Link className="button-secondary" to={paths.notificationSettings.href()}>{t('settingsLink')}</Link>
      </div>
      {body}
    </div>
  );
}
