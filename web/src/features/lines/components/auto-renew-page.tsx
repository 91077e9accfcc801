// Auto-renew, a child route of the line's page (Back closes it). Never pre-ticked: the box shows what
// is saved, and a line starts with auto-renewal off. The cap is typed as a decimal and sent in minor
// units parsed from its digits; the saved card that renewals charge is shown, with a way to add one.
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { Field } from '../../../components/field';
import { errorCodeOf, useErrorText } from '../../../components/error-text';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { moneyInputText, parseMoneyInput } from '../money-input';
import { useUpdateLine } from '../mutations';
import { lineQuery, linePlansQuery, type LineDetail, type LinePlan } from '../queries';
import { SavedCard } from './saved-card';
import styles from './line-detail.module.css';

const PLAN_FIELD_CODES = new Set(['plan_required', 'invalid_auto_renew_plan']);
const CAP_FIELD_CODES = new Set(['currency_mismatch', 'invalid_amount']);

function PlanSelect({ plans, value, onChange, error }: { plans: readonly LinePlan[]; value: string; onChange: (id: string) => void; error: string | null }) {
  const { t } = useTranslation('lines');
  const format = useFormat();
  return (
    <div className={styles.field}>
      <label htmlFor="auto-renew-plan" className={styles.label}>{t('autoRenew.plan')}</label>
      <select id="auto-renew-plan" value={value} aria-invalid={error ? true : undefined} aria-describedby={error ? 'auto-renew-plan-error' : undefined} onChange={(event) => onChange(event.target.value)}>
        <option value="">{t('autoRenew.choosePlan')}</option>
        {plans.map((plan) => (
          <option key={plan.id} value={plan.id}>{t('autoRenew.planOption', { name: plan.name, price: format.money(plan.price) })}</option>
        ))}
      </select>
      {error && <p id="auto-renew-plan-error" className={styles.fieldError}>{error}</p>}
    </div>
  );
}

function AutoRenewForm({ line, plans }: { line: LineDetail; plans: readonly LinePlan[] }) {
  const { t } = useTranslation('lines');
  const errorText = useErrorText();
  const navigate = useNavigate();
  const update = useUpdateLine(line.id);
  const currency = line.balances.wallet.currency;
  const saved = line.autoRenew;
  const [enabled, setEnabled] = useState(saved.enabled);
  const [planId, setPlanId] = useState(saved.planId ?? '');
  const [capText, setCapText] = useState(saved.monthlyCap ? moneyInputText(saved.monthlyCap.amount, saved.monthlyCap.currency) : '');
  const [tried, setTried] = useState(false);
  const cap = capText.trim() === '' ? null : parseMoneyInput(capText, currency);
  const code = update.error ? errorCodeOf(update.error) : null;
  const planError = (tried && enabled && planId === '' ? t('autoRenew.planMissing') : null) ?? (code && PLAN_FIELD_CODES.has(code) ? errorText(update.error) : null);
  const capError = (capText.trim() !== '' && cap === null ? t('autoRenew.capInvalid', { currency }) : null) ?? (code && CAP_FIELD_CODES.has(code) ? errorText(update.error) : null);
  const formError = update.error && !planError && !capError ? errorText(update.error) : null;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTried(true);
    if ((enabled && planId === '') || (capText.trim() !== '' && cap === null)) return;
    const autoRenew = { enabled, planId: planId === '' ? null : planId, monthlyCap: cap === null ? null : { amount: cap, currency } };
    update.mutate({ autoRenew }, { onSuccess: () => void navigate(paths.line.href(line.id)) });
  };

  return (
    <form className={styles.form} onSubmit={submit} noValidate>
      {formError && <p className={styles.formError} role="alert">{formError}</p>}
      <label className={styles.check}>
        <input type="checkbox" checked={enabled} disabled={plans.length === 0 && !enabled} onChange={(event) => setEnabled(event.target.checked)} />
        <span>{t('autoRenew.enabled')}</span>
      </label>
      {plans.length === 0 && <p className={styles.meta}>{t('autoRenew.noPlans')}</p>}
      <PlanSelect plans={plans} value={planId} onChange={setPlanId} error={planError} />
      <Field label={t('autoRenew.cap')} hint={t('autoRenew.capHint', { currency })} inputMode="decimal" autoComplete="off" value={capText} error={capError} onChange={(event) => setCapText(event.target.value)} />
      <SavedCard />
      <div className={styles.actions}>
        <button type="submit" className="button" disabled={update.isPending}>{t('autoRenew.save')}</button>
        <Link className="button-secondary" to={paths.line.href(line.id)}>{t('autoRenew.cancel')}</Link>
      </div>
    </form>
  );
}

/** Plans that can renew this line: auto-renewable, fixed price, in the line's own currency. */
function renewablePlans(plans: readonly LinePlan[], currency: string): LinePlan[] {
  return plans.filter((plan) => plan.autoRenewable && plan.kind === 'base' && plan.bundle === null && plan.price.currency === currency);
}

export function AutoRenewPage() {
  const { t } = useTranslation('lines');
  const { lineId = '' } = useParams();
  const line = useQuery(lineQuery(lineId));
  const plans = useQuery(linePlansQuery(lineId));
  const heading = useRef<HTMLHeadingElement>(null);
  // The panel opens above the line's details: keyboard and screen-reader users land in it, not behind it.
  useEffect(() => heading.current?.focus(), []);
  let body;
  if (line.data && plans.data) body = <AutoRenewForm line={line.data} plans={renewablePlans(plans.data, line.data.balances.wallet.currency)} />;
  else if (line.error ?? plans.error) body = <SectionError error={line.error ?? plans.error} onRetry={() => { void line.refetch(); void plans.refetch(); }} />;
  else body = <div aria-busy="true" className={styles.form}><SkeletonBlock height="2.75rem" /><SkeletonBlock height="2.75rem" /><SkeletonBlock height="2.75rem" /></div>;
  return (
    <section className={styles.panel} aria-labelledby="auto-renew-title">
      <h2 id="auto-renew-title" ref={heading} tabIndex={-1}>{t('autoRenew.title')}</h2>
      <p className={styles.meta}>{t('autoRenew.intro')}</p>
      {body}
    </section>
  );
}
