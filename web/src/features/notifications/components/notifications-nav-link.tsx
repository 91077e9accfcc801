// The header's link to the notifications, with the number of unread ones as a badge.
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { NavLink } from 'react-router';
import { paths } from '../../../paths';
import { unreadCountQuery } from '../queries';
import styles from './notifications.module.css';

export function NotificationsNavLink() {
  const { t } = useTranslation('notifications');
  const unread = useQuery(unreadCountQuery());
  const count = unread.data ?? 0;
  return (
    <NavLink to={paths.notifications.href()} className={styles.navLink}>
      {t('nav')}
      {count > 0 && (
        <>
          <span className={styles.badge} aria-hidden="true">{count}</span>
          <span className="visually-hidden">{t('unreadCount', { count })}</span>
        </>
      )}
    </NavLink>
  );
}
