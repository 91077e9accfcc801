import { useQuery } from '@tanstack/react-query';
import { useEffect, useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useLogout, useSaveLocale } from '../features/account/mutations';
import { meQuery } from '../features/account/queries';
import { NotificationsNavLink } from '../features/notifications/components/notifications-nav-link';
import { changeLocale, isLocale, LANGUAGE_NAMES, LOCALES } from '../lib/i18n';
import { paths } from '../paths';
import styles from './layout.module.css';

function LanguageSwitch({ signedIn }: { signedIn: boolean }) {
  const { t, i18n } = useTranslation();
  const saveLocale = useSaveLocale();
  const id = useId();
  return (
    <div className={styles.language}>
      <label htmlFor={id} className="visually-hidden">{t('header.language')}</label>
      <select
        id={id}
        value={i18n.language}
        onChange={(event) => {
          const locale = event.target.value;
          if (!isLocale(locale)) return;
          void changeLocale(locale);
          if (signedIn) saveLocale.mutate(locale);
        }}
      >
        {LOCALES.map((locale) => (
          <option key={locale} value={locale} lang={locale}>{LANGUAGE_NAMES[locale]}</option>
        ))}
      </select>
    </div>
  );
}

export function AppLayout() {
  const { t } = useTranslation();
  const me = useQuery({ ...meQuery(), retry: false });
  const logout = useLogout();
  const navigate = useNavigate();
  const accountLocale = me.data?.locale;

  // The account's language wins over this browser's choice (it is what emails use too).
  useEffect(() => {
    if (accountLocale) void changeLocale(accountLocale);
  }, [accountLocale]);

  const signedIn = me.data !== undefined;
  return (
    <div className={styles.shell}>
      <a className="skip-link" href="#main">{t('header.skipToContent')}</a>
      <header className={styles.header}>
        <Link to={paths.home.href()} className={styles.brand}>simkeep</Link>
        {signedIn && (
          <nav aria-label={t('header.navigation')} className={styles.nav}>
            <NavLink to={paths.lines.href()}>{t('header.myLines')}</NavLink>
            <NavLink to={paths.calendar.href()}>{t('header.calendar')}</NavLink>
            <NotificationsNavLink />
            {/* Buying */}
            <NavLink to={paths.orders.href()}>{t('header.orders')}</NavLink>
            <NavLink to={paths.wallet.href()}>{t('header.wallet')}</NavLink>
            <NavLink to={paths.paymentMethods.href()}>{t('header.paymentMethods')}</NavLink>
            {/* Support tickets and the account */}
            <NavLink to={paths.tickets.href()}>{t('header.support')}</NavLink>
            <NavLink to={paths.account.href()}>{t('header.account')}</NavLink>
          </nav>
        )}
        <div className={styles.tools}>
          <LanguageSwitch signedIn={signedIn} />
          {signedIn && (
            <button
              type="button"
              className="button-secondary"
              disabled={logout.isPending}
              onClick={() => logout.mutate(undefined, { onSettled: () => void navigate(paths.login.href(), { replace: true }) })}
            >
              {t('header.logout')}
            </button>
          )}
        </div>
      </header>
      <main id="main" className={styles.main}>
        <Outlet />
      </main>
    </div>
  );
}
