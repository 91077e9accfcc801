// The checkout's choices: a coupon (its own small form, applied to the quote), the payment method
// (and a voucher's code), and the confirm button naming the total. A failed confirm says why; when
// the answer was lost it offers "retry", which repeats the same attempt.
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { Field } from '../../../components/field';
import { useFormat } from '../../../lib/format';
import type { Money, PaymentMethod } from '../queries';
import styles from './plans.module.css';

export const CHECKOUT_METHODS = ['card', 'paypal', 'alipay', 'wechat_pay', 'wallet', 'voucher'] as const satisfies readonly PaymentMethod[];
const COUPON_CODES: ReadonlySet<string> = new Set(['invalid_coupon', 'coupon_expired', 'coupon_exhausted', 'coupon_not_applicable']);

export interface CheckoutChoice {
  method: PaymentMethod;
  couponCode: string | null;
  voucherCode: string;
}

export function isCouponError(error: unknown): boolean {
  return error !== null && COUPON_CODES.has(errorCodeOf(error));
}

function CouponForm({ applied, error, onApply }: { applied: string | null; error: string | null; onApply: (code: string | null) => void }) {
  const { t } = useTranslation('plans');
  const [code, setCode] = useState(applied ?? '');
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onApply(code.trim() || null);
  };
  return (
    <form className={styles.coupon} onSubmit={submit} noValidate>
      <Field label={t('checkout.coupon')} autoComplete="off" autoCapitalize="characters" spellCheck={false} maxLength={64} value={code} error={error} onChange={(e) => setCode(e.target.value)} />
      <div className={styles.actions}>
        <button type="submit" className="button-secondary" disabled={code.trim() === '' || code.trim() === applied}>{t('checkout.applyCoupon')}</button>
        {applied && (
          <button type="button" className="button-secondary" onClick={() => { setCode(''); onApply(null); }}>{t('checkout.removeCoupon')}</button>
        )}
      </div>
    </form>
  );
}

interface CheckoutFormProps {
  choice: CheckoutChoice;
  onChoose: (choice: CheckoutChoice) => void;
  onConfirm: () => void;
  total: Money | null;
  quoteError: unknown;
  pending: boolean;
  error: unknown;
  retryable: boolean;
}

export function CheckoutForm({ choice, onChoose, onConfirm, total, quoteError, pending, error, retryable }: CheckoutFormProps) {
  const { t } = useTranslation('plans');
  const errorText = useErrorText();
  const format = useFormat();
  const legendId = useId();
  const couponError = isCouponError(quoteError) ? errorText(quoteError) : null;
  const voucherError = error && ['invalid_voucher', 'voucher_insufficient'].includes(errorCodeOf(error)) ? errorText(error) : null;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onConfirm();
  };
  const needsVoucher = choice.method === 'voucher' && choice.voucherCode.trim() === '';
  return (
    <>
      <CouponForm applied={choice.couponCode} error={couponError} onApply={(couponCode) => onChoose({ ...choice, couponCode })} />
      <form className={styles.payForm} onSubmit={submit} noValidate>
        <fieldset className={styles.methods} aria-labelledby={legendId}>
          <legend id={legendId}>{t('checkout.method')}</legend>
          {CHECKOUT_METHODS.map((method) => (
            <label key={method} className={styles.method}>
              <input type="radio" name="method" value={method} checked={choice.method === method} onChange={() => onChoose({ ...choice, method })} />
              <span>{t(`methods.${method}`)}</span>
            </label>
          ))}
        </fieldset>
        {choice.method === 'voucher' && (
          <Field label={t('checkout.voucherCode')} autoComplete="off" spellCheck={false} maxLength={64} value={choice.voucherCode} error={voucherError} onChange={(e) => onChoose({ ...choice, voucherCode: e.target.value })} />
        )}
        {error !== null && !voucherError && (
          <div className={styles.formError} role="alert">
            <p>{errorText(error)}</p>
            {retryable && <p>{t('checkout.retryHint')}</p>}
          </div>
        )}
        <button type="submit" className="button" disabled={pending || total === null || needsVoucher}>
          {retryable ? t('checkout.retry') : total ? t('checkout.confirm', { total: format.money(total) }) : t('checkout.confirmNoTotal')}
        </button>
      </form>
    </>
  );
}
