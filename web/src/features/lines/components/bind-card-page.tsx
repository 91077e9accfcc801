// Binding a card, a child route of "My lines" so Back closes it. The ICCID is checked as it is typed
// with the server's own parser (src/domain/iccid.ts); the server's refusal lands on its field.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { parseIccid } from '../../../../../src/domain/iccid';
import { Field } from '../../../components/field';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { paths } from '../../../paths';
import { useBindCard } from '../mutations';
import styles from './lines.module.css';

/** The shortest ICCID (19 digits): before that, a partial number is not yet wrong. */
const ICCID_MIN_DIGITS = 19;
const PIN_CODES = new Set(['card_not_found_or_wrong_pin', 'card_locked']);
const ICCID_CODES = new Set(['invalid_iccid', 'card_already_bound']);

function useIccidError(iccid: string): string | null {
  const { t } = useTranslation('lines');
  const digits = iccid.replace(/[\s-]/g, '');
  if (digits === '') return null;
  const parsed = parseIccid(iccid);
  if (parsed.ok) return null;
  if (!/^[0-9]*[Ff]?$/.test(digits)) return t('bind.iccidDigitsOnly');
  if (!digits.startsWith('89'.slice(0, digits.length))) return t('bind.iccidPrefix');
  if (digits.length < ICCID_MIN_DIGITS) return null;
  return t('bind.iccidInvalid');
}

export function BindCardPage() {
  const { t } = useTranslation('lines');
  const errorText = useErrorText();
  const navigate = useNavigate();
  const bind = useBindCard();
  const [iccid, setIccid] = useState('');
  const [pin, setPin] = useState('');
  const [nickname, setNickname] = useState('');
  const typingError = useIccidError(iccid);
  const code = bind.error ? errorCodeOf(bind.error) : null;
  const iccidError = typingError ?? (code && ICCID_CODES.has(code) ? errorText(bind.error) : null);
  const pinError = code && PIN_CODES.has(code) ? errorText(bind.error) : null;
  const formError = bind.error && !iccidError && !pinError ? errorText(bind.error) : null;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = parseIccid(iccid);
    if (!parsed.ok || pin === '') return;
    const body = { iccid: parsed.value, pin, ...(nickname.trim() ? { nickname: nickname.trim() } : {}) };
    bind.mutate(body, { onSuccess: () => void navigate(paths.lines.href()) });
  };

  return (
    <section className={styles.bind} aria-labelledby="bind-title">
      <h2 id="bind-title">{t('bind.title')}</h2>
      <p className={styles.meta}>{t('bind.intro')}</p>
      <form className={styles.bindForm} onSubmit={submit} noValidate>
        {formError && <p className={styles.formError} role="alert">{formError}</p>}
        <Field label={t('bind.iccid')} hint={t('bind.iccidHint')} inputMode="numeric" autoComplete="off" spellCheck={false} required value={iccid} error={iccidError} onChange={(e) => setIccid(e.target.value)} />
        <Field label={t('bind.pin')} inputMode="numeric" autoComplete="off" required value={pin} error={pinError} onChange={(e) => setPin(e.target.value)} />
        <Field label={t('bind.nickname')} autoComplete="off" maxLength={60} value={nickname} onChange={(e) => setNickname(e.target.value)} />
        <div className={styles.actions}>
          <button type="submit" className="button" disabled={bind.isPending || !parseIccid(iccid).ok || pin === ''}>{t('bind.submit')}</button>
          <Link className="button-secondary" to={paths.lines.href()}>{t('bind.cancel')}</Link>
        </div>
      </form>
    </section>
  );
}
