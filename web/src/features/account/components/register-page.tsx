import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { Field } from '../../../components/field';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { ApiError } from '../../../lib/api';
import { currentLocale } from '../../../lib/i18n';
import { paths } from '../../../paths';
import { useRegister } from '../mutations';
import styles from './auth.module.css';

/** The server's rule (accounts/password-policy.ts), checked here only for its length, as the user types. */
const PASSWORD_MIN_LENGTH = 10;

function fieldHasError(error: unknown, field: string): boolean {
  return error instanceof ApiError && error.errors.some((e) => e.path === field);
}

export function RegisterPage() {
  const { t } = useTranslation('account');
  const errorText = useErrorText();
  const navigate = useNavigate();
  const register = useRegister();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const tooShort = password.length > 0 && [...password.trim()].length < PASSWORD_MIN_LENGTH;
  const code = register.error ? errorCodeOf(register.error) : null;
  const emailError = code === 'email_taken' || fieldHasError(register.error, 'email') ? errorText(register.error) : null;
  const passwordError = tooShort
    ? t('register.passwordTooShort', { count: PASSWORD_MIN_LENGTH })
    : code === 'weak_password' ? errorText(register.error) : null;
  const formError = register.error && !emailError && !passwordError ? errorText(register.error) : null;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (tooShort) return;
    const body = { email: email.trim(), password, locale: currentLocale(), ...(name.trim() ? { name: name.trim() } : {}) };
    register.mutate(body, { onSuccess: () => void navigate(paths.lines.href(), { replace: true }) });
  };

  return (
    <section className={styles.panel} aria-labelledby="register-title">
      <h1 id="register-title">{t('register.title')}</h1>
      <form className={styles.form} onSubmit={submit} noValidate>
        {formError && <p className={styles.formError} role="alert">{formError}</p>}
        <Field label={t('fields.email')} type="email" autoComplete="email" required value={email} error={emailError} onChange={(e) => setEmail(e.target.value)} />
        <Field
          label={t('fields.newPassword')}
          hint={t('register.passwordHint', { count: PASSWORD_MIN_LENGTH })}
          type="password"
          autoComplete="new-password"
          required
          value={password}
          error={passwordError}
          onChange={(e) => setPassword(e.target.value)}
        />
        <Field label={t('fields.name')} autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="button" disabled={register.isPending}>{t('register.submit')}</button>
      </form>
      <p className={styles.switch}>
        {t('register.haveAccount')} <Link to={paths.login.href()}>{t('register.toLogin')}</Link>
      </p>
    </section>
  );
}
