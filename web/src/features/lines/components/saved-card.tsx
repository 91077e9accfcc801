import { useQuery } from '@tanstack/react-query';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { useErrorText } from '../../../components/error-text';
import { useAddCard } from '../mutations';
import { savedMethodsQuery, type SavedMethod } from '../queries';
import styles from './line-detail.module.css';

function cardText(method: SavedMethod, t: TFunction<'lines'>): string {
  const brand = method.brand ?? method.provider;
  return method.last4 ? t('autoRenew.cardEnding', { brand, last4: method.last4 }) : brand;
}

/** The card renewals charge (the default saved one), or a way to save one on the provider's page. */
export function SavedCard() {
  const { t } = useTranslation('lines');
  const errorText = useErrorText();
  const methods = useQuery(savedMethodsQuery());
  const addCard = useAddCard();
  const card = methods.data?.find((m) => m.isDefault) ?? methods.data?.[0];
  let text: string;
  if (card) text = cardText(card, t);
  else if (methods.data) text = t('autoRenew.noCard');
  else if (methods.error) text = errorText(methods.error);
  else text = t('autoRenew.cardLoading');
  return (
    <div className={styles.savedCard}>
      <p className={styles.label}>{t('autoRenew.card')}</p>
      <p className={styles.meta} aria-live="polite">{text}</p>
      <p className={styles.meta}>{t('autoRenew.cardHint')}</p>
      {addCard.error && <p className={styles.fieldError} role="alert">{errorText(addCard.error)}</p>}
      <button
        type="button"
        className="button-secondary"
        disabled={addCard.isPending}
        onClick={() => addCard.mutate(undefined, { onSuccess: (answer) => window.location.assign(answer.action.url) })}
      >
        {card ? t('autoRenew.addAnotherCard') : t('autoRenew.addCard')}
      </button>
    </div>
  );
}
