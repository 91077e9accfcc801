// Saved payment methods (what auto-renewal charges): the list, make one the default, delete one after
// a confirmation, and add a card on the provider's own page, which sends the subscriber back here
// with `?saved=1`.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { useErrorText } from '../../../components/error-text';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { StatusChip } from '../../../components/status-chip';
import { useFormat } from '../../../lib/format';
import { useAddPaymentMethod, useDeletePaymentMethod, useMakeDefault } from '../mutations';
import { paymentMethodsQuery, type SavedMethod } from '../queries';
import styles from './payment-methods.module.css';

function MethodRow({ method }: { method: SavedMethod }) {
  const { t, i18n } = useTranslation('payment-methods');
  const format = useFormat();
  const errorText = useErrorText();
  const makeDefault = useMakeDefault();
  const remove = useDeletePaymentMethod();
  const [confirming, setConfirming] = useState(false);
  const brand = method.brand && i18n.exists(`brands.${method.brand}`, { ns: 'payment-methods' }) ? t(`brands.${method.brand}` as 'brands.visa') : method.brand;
  const name = method.last4
    ? t('cardName', { brand: brand ?? t('card'), last4: method.last4 })
    : t(`providers.${method.provider}` as 'providers.sandbox', { defaultValue: method.provider });
  const error = makeDefault.error ?? remove.error;
  return (
    <li className={styles.method}>
      <div className={styles.methodInfo}>
        <span className={styles.name}>{name}</span>
        {method.isDefault && <StatusChip tone="ok">{t('default')}</StatusChip>}
        {method.expiresAt && <span className={styles.meta}>{t('expires', { date: format.date(method.expiresAt) })}</span>}
      </div>
      {error && <p className={styles.error} role="alert">{errorText(error)}</p>}
      {confirming ? (
        <div className={styles.confirm} role="group" aria-label={t('confirmLabel', { name })}>
          <p>{t('confirmDelete', { name })}</p>
          <div className={styles.actions}>
            <button type="button" className="button" disabled={remove.isPending} onClick={() => remove.mutate(method.id, { onSuccess: () => setConfirming(false) })}>{t('deleteConfirm')}</button>
            <button type="button" className="button-secondary" onClick={() => setConfirming(false)}>{t('keep')}</button>
          </div>
        </div>
      ) : (
        <div className={styles.actions}>
          {!method.isDefault && (
            <button type="button" className="button-secondary" disabled={makeDefault.isPending} onClick={() => makeDefault.mutate(method.id)} aria-label={t('makeDefaultOf', { name })}>{t('makeDefault')}</button>
          )}
          <button type="button" className="button-secondary" onClick={() => setConfirming(true)} aria-label={t('deleteOf', { name })}>{t('delete')}</button>
        </div>
      )}
    </li>
  );
}

function AddMethod() {
  const { t } = useTranslation('payment-methods');
  const errorText = useErrorText();
  const add = useAddPaymentMethod();
  return (
    <div className={styles.add}>
      {add.error && <p className={styles.error} role="alert">{errorText(add.error)}</p>}
      <button type="button" className="button" disabled={add.isPending} onClick={() => add.mutate(undefined, { onSuccess: (setup) => window.location.assign(setup.action.url) })}>
        {t('add')}
      </button>
      <p className={styles.meta}>{t('addHint')}</p>
    </div>
  );
}

export function PaymentMethodsPage() {
  const { t } = useTranslation('payment-methods');
  const [search] = useSearchParams();
  const methods = useQuery(paymentMethodsQuery());
  let body;
  if (methods.data && methods.data.length === 0) {
    body = <section className={styles.empty} aria-labelledby="methods-empty"><h2 id="methods-empty">{t('emptyTitle')}</h2><p>{t('emptyBody')}</p></section>;
  } else if (methods.data) {
    body = <ul className={styles.list} aria-label={t('listLabel')}>{methods.data.map((m) => <MethodRow key={m.id} method={m} />)}</ul>;
  } else if (methods.error) body = <SectionError error={methods.error} onRetry={() => void methods.refetch()} />;
  else body = <div className={styles.list} aria-busy="true"><SkeletonBlock height="4rem" /><SkeletonBlock height="4rem" /></div>;
  return (
    <div className="page">
      <h1>{t('title')}</h1>
      {search.get('saved') === '1' && <p className={styles.saved} role="status">{t('saved')}</p>}
      {body}
      <AddMethod />
    </div>
  );
}
