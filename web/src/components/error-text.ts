import { useTranslation } from 'react-i18next';
import { ApiError } from '../lib/api';

/** The code a failure is shown by: the server's problem code, else the generic sentence. */
export function errorCodeOf(error: unknown): string {
  return error instanceof ApiError ? error.code : 'generic';
}

/**
 * A failure as a sentence in the user's language: `errors:<code>`, or `errors:generic` for a code this
 * build has no sentence for. Never the server's English `detail`.
 */
export function useErrorText(): (error: unknown) => string {
  const { t, i18n } = useTranslation('errors');
  return (error) => {
    const code = errorCodeOf(error);
    return i18n.exists(code, { ns: 'errors' }) ? t(code as 'generic') : t('generic');
  };
}
