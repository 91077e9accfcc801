import { useTranslation } from 'react-i18next';
import { ApiError } from '../lib/api';
import { useErrorText } from './error-text';
import styles from './section-error.module.css';

/** A section that could not load: what happened in the user's words, the request id for support, a retry. */
export function SectionError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <section className={styles.error} role="alert">
      <p className={styles.message}>{errorText(error)}</p>
      {requestId && <p className={styles.reference}>{t('error.reference', { requestId })}</p>}
      <button type="button" className="button-secondary" onClick={onRetry}>{t('error.retry')}</button>
    </section>
  );
}
