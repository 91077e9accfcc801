// A line's catalog: plans, add-ons and top-ups with their promotions (until when), each priced in the
// line's currency through Intl, and a wallet top-up of an amount the subscriber types.
import { useQuery } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { Field } from '../../../components/field';
import { SectionError } from '../../../components/section-error';
import { SkeletonBlock } from '../../../components/skeleton';
import { useFormat } from '../../../lib/format';
import { paths } from '../../../paths';
import { minorUnitsOf } from '../amount';
import { plansQuery, type Plan } from '../queries';
import styles from './plans.module.css';

const KINDS = ['base', 'addon', 'topup'] as const;
const MB_PER_GB = 1024;

function Allowances({ plan }: { plan: Plan }) {
  const { t } = useTranslation('plans');
  const format = useFormat();
  const { dataMb, voiceMin, sms } = plan.allowances;
  const parts = [
    dataMb > 0 && (dataMb >= MB_PER_GB && dataMb % MB_PER_GB === 0
      ? t('allowance.dataGb', { amount: format.number(dataMb / MB_PER_GB) })
      : t('allowance.dataMb', { amount: format.number(dataMb) })),
    voiceMin > 0 && t('allowance.voice', { amount: format.number(voiceMin) }),
    sms > 0 && t('allowance.sms', { amount: format.number(sms) }),
    plan.validityDays > 0 && t('allowance.days', { count: plan.validityDays }),
  ].filter((part): part is string => typeof part === 'string');
  if (parts.length === 0) return null;
  return <p className={styles.allowances}>{parts.join(' · ')}</p>;
}

function PlanCard({ plan, lineId }: { plan: Plan; lineId: string }) {
  const { t } = useTranslation('plans');
  const format = useFormat();
  const titleId = useId();
  return (
    <article className={styles.plan} aria-labelledby={titleId}>
      <h3 id={titleId} className={styles.planName}>{plan.name}</h3>
      {plan.description && <p className={styles.description}>{plan.description}</p>}
      <Allowances plan={plan} />
      {plan.promotions.length > 0 && (
        <ul className={styles.promotions} aria-label={t('promotions')}>
          {plan.promotions.map((promo) => (
            <li key={promo.id}>
              <span className={styles.promoTitle}>{promo.title}</span>
              {promo.endsAt && <span className={styles.promoEnds}> {t('endsAt', { date: format.date(promo.endsAt) })}</span>}
            </li>
          ))}
        </ul>
      )}
      <div className={styles.buy}>
        <span className={styles.price}>{format.money(plan.price)}</span>
        <Link className="button" to={paths.checkout.href(lineId, { planId: plan.id })} aria-describedby={titleId}>{t('buy')}</Link>
      </div>
    </article>
  );
}

function TopUpForm({ lineId, currency }: { lineId: string; currency: string }) {
  const { t, i18n } = useTranslation('plans');
  const navigate = useNavigate();
  const [amount, setAmount] = useState('');
  const minor = amount.trim() === '' ? null : minorUnitsOf(amount, currency, i18n.language);
  const error = amount.trim() !== '' && minor === null ? t('topup.invalid') : null;
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (minor !== null) void navigate(paths.checkout.href(lineId, { topup: minor, currency }));
  };
  return (
    <form className={styles.topup} onSubmit={submit} noValidate>
      <Field label={t('topup.amount', { currency })} inputMode="decimal" autoComplete="off" value={amount} error={error} onChange={(e) => setAmount(e.target.value)} />
      <button type="submit" className="button" disabled={minor === null}>{t('topup.submit')}</button>
    </form>
  );
}

function Catalog({ plans, lineId }: { plans: readonly Plan[]; lineId: string }) {
  const { t } = useTranslation('plans');
  if (plans.length === 0) {
    return (
      <section className={styles.empty} aria-labelledby="plans-empty">
        <h2 id="plans-empty">{t('empty.title')}</h2>
        <p>{t('empty.body')}</p>
        <Link to={paths.lines.href()}>{t('backToLines')}</Link>
      </section>
    );
  }
  const currency = plans[0]?.price.currency;
  return (
    <>
      {KINDS.map((kind) => {
        const ofKind = plans.filter((plan) => plan.kind === kind);
        if (ofKind.length === 0) return null;
        return (
          <section key={kind} className={styles.group} aria-labelledby={`plans-${kind}`}>
            <h2 id={`plans-${kind}`}>{t(`kinds.${kind}`)}</h2>
            <ul className={styles.grid}>
              {ofKind.map((plan) => <li key={plan.id}><PlanCard plan={plan} lineId={lineId} /></li>)}
            </ul>
          </section>
        );
      })}
      {currency && (
        <section className={styles.group} aria-labelledby="plans-custom-topup">
          <h2 id="plans-custom-topup">{t('topup.title')}</h2>
          <TopUpForm lineId={lineId} currency={currency} />
        </section>
      )}
    </>
  );
}

function CatalogSkeleton() {
  return (
    <div className={styles.grid} aria-busy="true">
      {[0, 1, 2].map((i) => (
        <div key={i} className={styles.plan}>
          <SkeletonBlock width="60%" height="1.25rem" />
          <SkeletonBlock width="80%" />
          <SkeletonBlock width="40%" height="2.75rem" />
        </div>
      ))}
    </div>
  );
}

export function PlansPage() {
  const { t } = useTranslation('plans');
  const { lineId = '' } = useParams();
  const plans = useQuery(plansQuery(lineId));
  let body;
  if (plans.data) body = <Catalog plans={plans.data} lineId={lineId} />;
  else if (plans.error) body = <SectionError error={plans.error} onRetry={() => void plans.refetch()} />;
  else body = <CatalogSkeleton />;
  return (
    <div className="page">
      <h1>{t('title')}</h1>
      {body}
    </div>
  );
}
