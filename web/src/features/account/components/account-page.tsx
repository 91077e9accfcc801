// The account: the email it signs in with, the name and the language (saved on the account, so
// emails follow it), and logging out. The API has no "log out everywhere": sessions elsewhere end
// with their lifetime, as the page says.
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { Field } from '../../../components/field';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useErrorText } from '../../../components/error-text';
import { changeLocale, isLocale, LANGUAGE_NAMES, LOCALES } from '../../../lib/i18n';
import { paths } from '../../../paths';
import { useLogout, useSaveLocale, useSaveName } from '../mutations';
import { meQuery, type User } from '../queries';
import styles from './account.module.css';

/** The server's bound on a name (src/modules/accounts/schemas.ts). */
const NAME_CHARS_MAX = 200;

function NameForm({ user }: { user: User }) {
  const { t } = useTranslation('account');
  const errorText = useErrorText();
  const save = useSaveName();
  const [name, setName] = useState(user.name ?? '');
  const tooLong = name.trim().length > NAME_CHARS_MAX;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (tooLong) return;
    save.mutate(name.trim() === '' ? null : name.trim());
  };
  const error = tooLong ? t('settings.nameTooLong', { max: NAME_CHARS_MAX }) : save.error ? errorText(save.error) : null;
  return (
    <form className={styles.form} onSubmit={submit} noValidate>
      <Field label={t('settings.name')} hint={t('settings.nameHint')} autoComplete="name" value={name} error={error} onChange={(e) => {
        setName(e.target.value);
        save.reset();
      }} />
      <div className={styles.actions}>
        <button type="submit" className="button" disabled={save.isPending}>{t('settings.saveName')}</button>
        <p className={styles.saved} role="status">{save.isSuccess && !save.isPending ? t('settings.nameSaved') : ''}</p>
      </div>
    </form>
  );
}

function LanguageForm({ user }: { user: User }) {
  const { t } = useTranslation('account');
  const errorText = useErrorText();
  const save = useSaveLocale();
  const id = useId();
  return (
    <div className={styles.form}>
      <div className={styles.field}>
        {/* The section's heading already says "Language" on screen; the select still needs its own name. */}
        <label htmlFor={id} className="visually-hidden">{t('settings.language')}</label>
        <p id={`${id}-hint`} className={styles.hint}>{t('settings.languageHint')}</p>
        <select id={id} aria-describedby={`${id}-hint`} value={user.locale} disabled={save.isPending} onChange={(event) => {
          const locale = event.target.value;
          if (!isLocale(locale)) return;
          save.mutate(locale, { onSuccess: () => void changeLocale(locale) });
        }}>
          {LOCALES.map((locale) => <option key={locale} value={locale} lang={locale}>{LANGUAGE_NAMES[locale]}</option>)}
        </select>
      </div>
      <p className={styles.saved} role="status">{save.error ? errorText(save.error) : save.isSuccess ? t('settings.languageSaved') : ''}</p>
    </div>
  );
}

function AccountDetails({ user }: { user: User }) {
  const { t } = useTranslation('account');
  const logout = useLogout();
  const navigate = useNavigate();
  return (
    <>
      <section className={styles.section} aria-labelledby="profile-title">
        <h2 id="profile-title">{t('settings.profile')}</h2>
        <dl className={styles.facts}><div><dt>{t('settings.email')}</dt><dd>{user.email}</dd></div></dl>
        <NameForm user={user} />
      </section>
      <section className={styles.section} aria-labelledby="language-title">
        <h2 id="language-title">{t('settings.language')}</h2>
        <LanguageForm user={user} />
      </section>
      <section className={styles.section} aria-labelledby="session-title">
        <h2 id="session-title">{t('settings.session')}</h2>
        <p className={styles.hint}>{t('settings.sessionHint')}</p>
        <div className={styles.actions}>
          <button type="button" className="button-secondary" disabled={logout.isPending}
            onClick={() => logout.mutate(undefined, { onSettled: () => void navigate(paths.login.href(), { replace: true }) })}>
            {t('settings.logout')}
          </button>
        </div>
      </section>
    </>
  );
}

export function AccountPage() {
  const { t } = useTranslation('account');
  const me = useQuery(meQuery());
  let body;
  if (me.data) body = <AccountDetails user={me.data} />;
  else if (me.error) body = <SectionError error={me.error} onRetry={() => void me.refetch()} />;
  else {
    body = (
      <div className={styles.section} aria-busy="true" role="status" aria-label={t('settings.loading')}>
        <SkeletonBlock width="40%" height="1.4rem" />
        <SkeletonBlock width="70%" />
        <SkeletonBlock height="2.75rem" />
      </div>
    );
  }
  return (
    <div className="page">
      <h1>{t('settings.title')}</h1>
      {body}
    </div>
  );
}
