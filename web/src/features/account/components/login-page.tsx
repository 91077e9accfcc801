import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Field } from '../../../components/field';
import { useErrorText } from '../../../components/error-text';
import { paths, safeReturnPath } from '../../../paths';
import { useLogin } from '../mutations';
import styles from './auth.module.css';

export function LoginPage() {
  const { t } = useTranslation('account');
  const errorText = useErrorText();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const from = safeReturnPath(search.get('from'));

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    login.mutate({ email: email.trim(), password }, { onSuccess: () => void navigate(from ?? paths.lines.href(), { replace: true }) });
  };

  return (
    <section className={styles.panel} aria-labelledby="login-title">
      <h1 id="login-title">{t('login.title')}</h1>
      <form className={styles.form} onSubmit={submit} noValidate>
        {login.error && <p className={styles.formError} role="alert">{errorText(login.error)}</p>}
        <Field label={t('fields.email')} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <Field label={t('fields.password')} type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" className="button" disabled={login.isPending}>{t('login.submit')}</button>
      </form>
      <p className={styles.switch}>
        {t('login.noAccount')} <Link to={paths.register.href()}>{t('login.toRegister')}</Link>
      </p>
    </section>
  );
}
